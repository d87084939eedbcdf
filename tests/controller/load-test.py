#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""acs-controller bounded load test (issue 5, section 4).

    load-test.py ACS_CONTROLLER [FLOWS]

400 users, 200 concurrent one-to-one signaling flows against one
controller on 127.0.0.1 over HTTPS with keep-alive. Every user has its
own event stream (GET /v1/events) and one persistent connection for its
requests. Each flow: the caller places a call with a valid offer, the
callee receives call.incoming, sends ringing and answers, the caller
receives call.ringing and call.answered, both trickle 3 candidates and
end-of-candidates and receive the other's in order, the caller hangs up,
both receive call.ended. At the end /metrics must show FLOWS setups, 0
active calls, and the controller must exit with 0 on SIGTERM (under the
asan test setup, a leak report makes it exit otherwise).

Builds on controller-test.py (Controller, EventStream, make_sdp). The
tokens are signed here with the controller's token secret, as
mint-token does, so that 400 users do not cost 400 (sanitized) process
starts; one token minted by mint-token is checked to be accepted too.
Standard library only.
"""

import importlib.util
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "controller_test", os.path.join(HERE, "controller-test.py"))
ct = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ct)

check = ct.check
Failure = ct.Failure

DEFAULT_FLOWS = 200
N_CANDIDATES = 3
EVENT_TIMEOUT = 60


def sign_token(secret, user, ttl=3600):
    now = int(time.time())
    return ct.forge({"alg": "HS256", "typ": "JWT"},
                    {"sub": user, "scope": ["call"], "iat": now,
                     "exp": now + ttl}, secret)


class User:
    """A user: its token, its event stream, one keep-alive connection."""

    def __init__(self, ctl, name, token):
        self.ctl = ctl
        self.name = name
        self.token = token
        self.conn = ctl.connect(timeout=EVENT_TIMEOUT)
        self.sock = None
        self.events = None

    def open_events(self):
        self.events = ct.EventStream(self.ctl, self.token)
        check(self.events.status == 200,
              "%s: event stream %d" % (self.name, self.events.status))

    def request(self, method, path, body=None):
        hdrs = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        text = resp.read()
        check(not resp.will_close, "%s: keep-alive kept" % self.name)
        # http.client reconnects silently: the socket must stay the same
        if self.sock is None:
            self.sock = self.conn.sock
        check(self.conn.sock is self.sock, "%s: one connection" % self.name)
        return resp.status, json.loads(text)

    def act(self, call_id, action, body=None, expect=200):
        status, resp = self.request("POST", "/v1/calls/%s/%s" %
                                    (call_id, action), body)
        check(status == expect, "%s %s: expected %d, got %d %r" %
              (self.name, action, expect, status, resp))
        return resp

    def expect(self, etype, call_id):
        data = self.events.expect(etype, EVENT_TIMEOUT)
        got = data["call"]["id"] if "call" in data else data.get("call_id")
        check(got == call_id, "%s: %s for call %s, got %s" %
              (self.name, etype, call_id, got))
        return data

    def close(self):
        # The event stream stays open: SIGTERM must end it cleanly
        self.conn.close()


def trickle(user, call_id, tag):
    for i in range(N_CANDIDATES):
        user.act(call_id, "candidates",
                 {"candidate": ct.candidate(tag + i), "mline_index": 0}, 202)
    user.act(call_id, "candidates", {"end_of_candidates": True}, 202)


def receive_candidates(user, call_id, tag):
    for i in range(N_CANDIDATES):
        c = user.expect("call.candidate", call_id)
        check(c == {"call_id": call_id, "candidate": ct.candidate(tag + i),
                    "mline_index": 0},
              "%s: candidate %d in order, got %r" % (user.name, i, c))
    c = user.expect("call.candidate", call_id)
    check(c == {"call_id": call_id, "end_of_candidates": True},
          "%s: end of candidates, got %r" % (user.name, c))


def flow(caller, callee, offer, answer):
    status, call = caller.request("POST", "/v1/calls",
                                  {"to": {"user": callee.name},
                                   "offer": {"sdp": offer}})
    check(status == 201, "place: %d %r" % (status, call))
    cid = call["id"]
    inc = callee.expect("call.incoming", cid)
    check(inc["offer"]["sdp"] == offer, "offer relayed unchanged")
    check(inc["call"]["caller"] == {"user": caller.name}, "caller named")

    check(callee.act(cid, "ringing")["state"] == "ringing", "ringing")
    check(caller.expect("call.ringing", cid)["call"]["sip_status"] == 180,
          "ringing 180")
    ans = callee.act(cid, "answer", {"answer": {"sdp": answer}})
    check(ans["state"] == "active" and ans["sip_status"] == 200, "active")
    check(caller.expect("call.answered", cid)["answer"]["sdp"] == answer,
          "answer relayed unchanged")

    # Candidates were tagged so that each side's are told apart (1-3
    # from the caller, 11-13 from the callee)
    trickle(caller, cid, 1)
    trickle(callee, cid, 11)
    receive_candidates(callee, cid, 1)
    receive_candidates(caller, cid, 11)

    check(caller.act(cid, "hangup")["state"] == "ended", "hung up")
    for u in (caller, callee):
        ended = u.expect("call.ended", cid)["call"]
        check(ended["end_reason"] == "hangup" and ended["sip_status"] == 200,
              "%s: ended by hangup" % u.name)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100.0))]


def run(ctl, n_flows):
    with open(os.path.join(ctl.state, "token-secret"), "rb") as f:
        secret = f.read()
    # One token from mint-token: the tokens signed here are the same kind
    minted = ctl.token("u0")
    users = [User(ctl, "u0", minted)]
    for i in range(1, 2 * n_flows):
        token = sign_token(secret, "u%d" % i)
        ctl.tokens.append(token)
        users.append(User(ctl, "u%d" % i, token))
    for u in users:
        u.open_events()
    check(ct.parse_metrics(ctl)["acs_event_streams"] == 2 * n_flows,
          "%d event streams open" % (2 * n_flows))

    offer, answer = ct.make_sdp("LOADOFFERKEY"), ct.make_sdp("LOADANSWERKEY")
    ctl.secrets += ["LOADOFFERKEY", "LOADANSWERKEY"]
    barrier = threading.Barrier(n_flows)
    errors = []
    durations = []
    lock = threading.Lock()

    def worker(i):
        caller, callee = users[2 * i], users[2 * i + 1]
        try:
            barrier.wait(timeout=EVENT_TIMEOUT)
            t0 = time.monotonic()
            flow(caller, callee, offer, answer)
            dt = time.monotonic() - t0
            with lock:
                durations.append(dt)
        except Exception as e:
            with lock:
                errors.append("flow %d (%s -> %s): %r" %
                              (i, caller.name, callee.name, e))

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(n_flows)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 6 * EVENT_TIMEOUT
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    elapsed = time.monotonic() - t0
    check(not any(t.is_alive() for t in threads), "every flow finished")
    check(not errors, "%d flows failed:\n%s" % (len(errors),
                                                "\n".join(errors[:10])))
    check(len(durations) == n_flows, "every flow completed")

    # Nothing more arrived on any stream
    for u in users:
        u.events.expect_nothing(0.0)
    m = ct.parse_metrics(ctl)
    check(m["acs_call_setups_total"] == n_flows,
          "%d setups, metrics say %r" % (n_flows,
                                         m["acs_call_setups_total"]))
    check(m["acs_calls_active"] == 0, "no active call")
    check(not any(k.startswith("acs_call_failures_total") and v
                  for k, v in m.items()), "no failed call")
    key = 'acs_http_requests_total{method="POST",path="/v1/calls/{id}/' \
        'candidates",status="202"}'
    check(m.get(key) == n_flows * 2 * (N_CANDIDATES + 1),
          "every candidate counted")
    for u in users:
        u.close()
    print("%d flows in %.2f s; flow p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
          (n_flows, elapsed, 1000 * percentile(durations, 50),
           1000 * percentile(durations, 99), 1000 * max(durations)))


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: %s ACS_CONTROLLER [FLOWS]" % sys.argv[0])
        return 2
    n_flows = int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_FLOWS
    ctl = ct.Controller(sys.argv[1])
    try:
        run(ctl, n_flows)
    except Exception:
        ctl.proc.kill()
        ctl.proc.wait()
        sys.stderr.write("--- controller log (tail) ---\n%s\n" %
                         ctl.log()[-20000:])
        raise
    t0 = time.monotonic()
    ctl.stop()
    print("controller exited with 0 on SIGTERM in %.2f s" %
          (time.monotonic() - t0))
    print("ok load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
