#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""acs-controller over real HTTPS: one test case per invocation.

    controller-test.py ACS_CONTROLLER CASE

Starts the controller on 127.0.0.1, port 0 (--port-file), with a
temporary state directory and short timeouts, drives it with
http.client over TLS (verifying its self-signed certificate), stops it
with SIGTERM and fails unless it exits with 0: under the asan test setup
a leak or sanitizer report makes it exit otherwise. Every case also
checks that the controller's log holds no token and no SDES key.
Standard library only.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

# The timeouts case uses short ones; the others long ones, so that a slow
# (sanitizer) build never ends their calls under them.
INVITE_TIMEOUT = 2
RING_TIMEOUT = 2
SESSION_EXPIRES = 2
LONG_TIMEOUT = 120


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_sdp(key_tag):
    """A valid offer/answer whose SDES keys hold key_tag (to grep logs)."""
    key = base64.b64encode((key_tag * 30).encode()[:30]).decode()
    return ("v=0\r\n"
            "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=ice-ufrag:Uf%s\r\n"
            "a=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\n"
            "m=audio 9 RTP/SAVP 111\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=rtcp-mux\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=crypto:1 AEAD_AES_128_GCM inline:%s\r\n"
            "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
            % (key_tag[:4], key, key))


class Controller:
    def __init__(self, binary, *extra):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="acs-controller-test-")
        self.state = os.path.join(self.dir, "state")
        self.port_file = os.path.join(self.dir, "port")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.tokens = []
        self.secrets = []
        args = [binary, "--listen", "127.0.0.1:0",
                "--port-file", self.port_file, "--state-dir", self.state,
                "--invite-timeout", str(LONG_TIMEOUT),
                "--ring-timeout", str(LONG_TIMEOUT),
                "--heartbeat-interval", "1", "--ended-retention", "30"]
        args += list(extra)
        self.insecure = "--insecure-http" in extra
        self.stderr = open(self.stderr_path, "w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, env=self.env())
        deadline = time.monotonic() + 60
        while True:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    break
            if self.proc.poll() is not None:
                raise Failure("controller exited: %s" % self.log())
            check(time.monotonic() < deadline, "controller did not start")
            time.sleep(0.05)
        if not self.insecure:
            self.ctx = ssl.create_default_context(
                cafile=os.path.join(self.state, "cert.pem"))

    def env(self):
        """LSAN_OPTIONS with lsan-controller.supp added to its file."""
        env = dict(os.environ)
        opts = env.get("LSAN_OPTIONS")
        if opts is None:
            return env
        ours = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "lsan-controller.supp")
        combined = os.path.join(self.dir, "lsan.supp")
        parts = []
        with open(combined, "w") as out:
            for part in opts.split(":"):
                if part.startswith("suppressions="):
                    with open(part[len("suppressions="):]) as f:
                        out.write(f.read() + "\n")
                else:
                    parts.append(part)
            with open(ours) as f:
                out.write(f.read())
        env["LSAN_OPTIONS"] = ":".join(parts + ["suppressions=" + combined])
        return env

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def connect(self, timeout=30):
        if self.insecure:
            return http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=timeout)
        return http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=timeout)

    def token(self, user, ttl=3600):
        out = subprocess.run([self.binary, "mint-token", "--state-dir",
                              self.state, "--user", user, "--ttl", str(ttl)],
                             check=True, capture_output=True, text=True)
        token = out.stdout.strip()
        check(token.count(".") == 2, "mint-token printed a JWT")
        self.tokens.append(token)
        return token

    def request(self, method, path, token=None, body=None, raw=None,
                headers=None, content_type="application/json"):
        conn = self.connect()
        hdrs = {}
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        if data is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        if headers:
            hdrs.update(headers)
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(text) if ctype.startswith("application/json") \
            else text
        return resp.status, parsed, resp

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("controller did not stop on SIGTERM")
        log = self.log()
        self.stderr.close()
        if code != 0:
            raise Failure("controller exited with %d:\n%s" % (code, log))
        for token in self.tokens:
            check(token not in log, "a token is in the log")
            sig = token.split(".")[2]
            check(not sig or sig not in log, "a signature is in the log")
        for secret in self.secrets:
            check(secret not in log, "a secret (%s...) is in the log"
                  % secret[:6])
        check("a=crypto" not in log and "inline:" not in log,
              "SDP is in the log")
        shutil.rmtree(self.dir, ignore_errors=True)
        return log


class EventStream:
    def __init__(self, ctl, token, path="/v1/events", last_id=None):
        self.conn = ctl.connect()
        hdrs = {"Authorization": "Bearer " + token}
        if last_id is not None:
            hdrs["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", path, headers=hdrs)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.events = queue.Queue()
        self.pings = 0
        self.last_id = last_id
        if self.status == 200:
            check(self.resp.getheader("Content-Type", "")
                  .startswith("text/event-stream"), "SSE content type")
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        else:
            self.body = json.loads(self.resp.read().decode())
            self.conn.close()

    def _run(self):
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line == "":
                    if ev:
                        if "data" in ev:
                            ev["data"] = json.loads(ev["data"])
                        self.events.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    if line == ": ping":
                        self.pings += 1
                else:
                    field, _, value = line.partition(":")
                    ev[field] = value[1:] if value.startswith(" ") else value
        except (OSError, ValueError, AttributeError,
                http.client.HTTPException):
            pass
        self.events.put(None)

    def next(self, timeout=15):
        try:
            ev = self.events.get(timeout=timeout)
        except queue.Empty:
            raise Failure("no event within %d s" % timeout)
        check(ev is not None, "event stream closed")
        if "id" in ev:
            self.last_id = int(ev["id"])
        return ev

    def expect(self, etype, timeout=15):
        ev = self.next(timeout)
        check(ev.get("event") == etype,
              "expected %s, got %s" % (etype, ev.get("event")))
        return ev["data"]

    def expect_nothing(self, wait=0.5):
        try:
            ev = self.events.get(timeout=wait)
        except queue.Empty:
            return
        raise Failure("unexpected event %r" % (ev,))

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def place(ctl, token, to, sdp):
    status, call, _ = ctl.request("POST", "/v1/calls", token,
                                  {"to": {"user": to}, "offer": {"sdp": sdp}})
    check(status == 201, "place: %d %r" % (status, call))
    check(call["state"] == "calling" and call["sip_status"] == 100,
          "new call is calling/100")
    check(len(call["id"]) == 22, "22-character id")
    return call


def act(ctl, token, call_id, action, body=None, expect=200):
    status, resp, _ = ctl.request("POST", "/v1/calls/%s/%s" %
                                  (call_id, action), token, body)
    check(status == expect, "%s: expected %d, got %d %r" %
          (action, expect, status, resp))
    return resp


def candidate(i):
    return "candidate:%d 1 UDP 2015363327 10.0.1.%d 468%02d typ host" % (
        i, i, i)


def get_call(ctl, token, call_id):
    status, call, _ = ctl.request("GET", "/v1/calls/" + call_id, token)
    check(status == 200, "GET call: %d" % status)
    return call


# Cases


def case_full_flow(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev, b_ev = EventStream(ctl, alice), EventStream(ctl, bob)
    offer, answer = make_sdp("OFFERKEYalice"), make_sdp("ANSWERKEYbob")
    # an offer with video, answered audio-only: the answer rejects the video
    # line (port 0), which needs no ICE credentials or key (RFC 3264 6)
    offer += ("m=video 9 RTP/SAVP 97\r\na=rtpmap:97 VP8/90000\r\n"
              "a=crypto:1 AEAD_AES_128_GCM inline:%s\r\n" %
              base64.b64encode(b"V" * 28).decode())
    answer += "m=video 0 RTP/SAVP 97\r\n"
    ctl.secrets += ["OFFERKEY", "ANSWERKEY"]
    call = place(ctl, alice, "bob", offer)
    cid = call["id"]
    inc = b_ev.expect("call.incoming")
    check(inc["call"]["id"] == cid and inc["offer"]["sdp"] == offer,
          "incoming carries the offer unchanged")
    check(inc["call"]["caller"] == {"user": "alice"}, "caller in event")
    call_ev = EventStream(ctl, bob, "/v1/calls/%s/events" % cid)
    check(call_ev.expect("call.incoming")["call"]["id"] == cid,
          "per-call stream replays the incoming event")

    check(act(ctl, bob, cid, "ringing")["state"] == "ringing", "ringing")
    rg = a_ev.expect("call.ringing")
    check(rg["call"]["sip_status"] == 180, "180 in ringing event")

    # The callee's candidates wait for the answer; the caller's go at once
    for i in (1, 2):
        act(ctl, bob, cid, "candidates",
            {"candidate": candidate(i), "mline_index": 0}, 202)
    for i in (11, 12):
        act(ctl, alice, cid, "candidates",
            {"candidate": candidate(i), "mline_index": 0}, 202)
    for i in (11, 12):
        c = b_ev.expect("call.candidate")
        check(c == {"call_id": cid, "candidate": candidate(i),
                    "mline_index": 0}, "caller candidate %d in order" % i)
    a_ev.expect_nothing()

    ans = act(ctl, bob, cid, "answer", {"answer": {"sdp": answer}})
    check(ans["state"] == "active" and ans["sip_status"] == 200, "active")
    an = a_ev.expect("call.answered")
    check(an["answer"]["sdp"] == answer, "answer relayed unchanged")
    for i in (1, 2):
        check(a_ev.expect("call.candidate")["candidate"] == candidate(i),
              "held callee candidate %d after the answer" % i)
    act(ctl, bob, cid, "candidates", {"candidate": candidate(3),
                                      "mline_index": 0}, 202)
    check(a_ev.expect("call.candidate")["candidate"] == candidate(3),
          "live callee candidate")
    act(ctl, alice, cid, "candidates", {"end_of_candidates": True}, 202)
    check(b_ev.expect("call.candidate") == {"call_id": cid,
                                            "end_of_candidates": True},
          "end of candidates")
    # a repeated answer (re-sent over a new connection) is absorbed like a
    # SIP retransmission: 200, the same call, no second event; an earlier
    # request is not a repeat
    again = act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("X")}})
    check(again["state"] == "active" and again["id"] == cid,
          "repeated answer: 200 with the active call: %r" % again)
    act(ctl, bob, cid, "ringing", None, 409)
    a_ev.expect_nothing()
    check(get_call(ctl, alice, cid)["state"] == "active", "GET active")

    act(ctl, alice, cid, "hangup")
    for ev in (a_ev, b_ev):
        ended = ev.expect("call.ended")["call"]
        check(ended["state"] == "ended" and ended["end_reason"] == "hangup"
              and ended["sip_status"] == 200, "ended by hangup")
    # the per-call stream saw the same events for bob
    for etype in ("call.candidate", "call.candidate", "call.candidate",
                  "call.ended"):
        call_ev.expect(etype)
    act(ctl, bob, cid, "hangup", None, 409)
    check(act(ctl, alice, cid, "hangup")["end_reason"] == "hangup",
          "repeated hangup by the one who hung up: 200")
    for ev in (a_ev, b_ev):
        ev.expect_nothing()
    act(ctl, alice, cid, "candidates", {"end_of_candidates": True}, 409)
    metrics = parse_metrics(ctl)
    check(metrics["acs_call_setups_total"] == 1, "one setup")
    check(metrics["acs_calls_active"] == 0, "no active call")
    for s in (a_ev, b_ev, call_ev):
        s.close()


def case_place_repeat(ctl):
    """POST /v1/calls with an Idempotency-Key may be repeated (a client
    re-sends it when its kept-alive connection closed under it): the
    repeat gets the call the first one placed, and the callee is invited
    once"""
    alice, bob = ctl.token("alice"), ctl.token("bob")
    b_ev = EventStream(ctl, bob)
    body = {"to": {"user": "bob"}, "offer": {"sdp": make_sdp("K1")}}
    key = {"Idempotency-Key": "6f1c2a52-3d0e-4a51-9a7e-5b2d7c1e9f00"}
    st1, c1, _ = ctl.request("POST", "/v1/calls", alice, body, headers=key)
    st2, c2, _ = ctl.request("POST", "/v1/calls", alice, body, headers=key)
    check(st1 == 201 and st2 == 201, "placed twice: %d %d" % (st1, st2))
    check(c1["id"] == c2["id"] and len(c1["id"]) == 22,
          "the repeat names the same call: %s %s" % (c1["id"], c2["id"]))
    check(b_ev.expect("call.incoming")["call"]["id"] == c1["id"],
          "bob invited")
    b_ev.expect_nothing()
    # the call moves on; a late repeat still names it, as it is now
    act(ctl, bob, c1["id"], "ringing")
    st3, c3, _ = ctl.request("POST", "/v1/calls", alice, body, headers=key)
    check(st3 == 201 and c3["id"] == c1["id"] and c3["state"] == "ringing",
          "late repeat: %d %r" % (st3, c3))
    # the same key from another caller is another request
    carol = ctl.token("carol")
    st4, c4, _ = ctl.request("POST", "/v1/calls", carol, body, headers=key)
    check(st4 == 201 and c4["id"] != c1["id"], "carol's call is hers")
    # the same key for another callee: refused, nothing placed
    other = {"to": {"user": "dave"}, "offer": {"sdp": make_sdp("K2")}}
    st5, e5, _ = ctl.request("POST", "/v1/calls", alice, other, headers=key)
    check(st5 == 422 and e5["error"]["code"] == "key_reused" and
          e5["error"]["field"] == "Idempotency-Key",
          "key reused for another call: %d %r" % (st5, e5))
    for bad in ("", "has space", "x" * 256, "caf\u00e9"):
        st6, e6, _ = ctl.request("POST", "/v1/calls", alice, body,
                                 headers={"Idempotency-Key": bad})
        check(st6 == 400 and e6["error"]["field"] == "Idempotency-Key",
              "key %r: %d %r" % (bad[:20], st6, e6))
    b_ev.expect("call.incoming")          # carol's
    b_ev.expect_nothing()
    # without a key every request places a call
    ids = {place(ctl, alice, "bob", make_sdp("K3"))["id"] for _ in range(2)}
    check(len(ids) == 2, "two calls without a key")
    b_ev.close()


def case_hangup_by_callee(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev, b_ev = EventStream(ctl, alice), EventStream(ctl, bob)
    cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
    b_ev.expect("call.incoming")
    act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("K2")}})
    a_ev.expect("call.answered")
    act(ctl, bob, cid, "hangup")
    for ev in (a_ev, b_ev):
        check(ev.expect("call.ended")["call"]["end_reason"] == "hangup",
              "hangup")
    a_ev.close()
    b_ev.close()


def case_cancel(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev, b_ev = EventStream(ctl, alice), EventStream(ctl, bob)
    cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
    act(ctl, bob, cid, "ringing")
    act(ctl, bob, cid, "cancel", None, 403)
    call = act(ctl, alice, cid, "cancel")
    check(call["state"] == "ended" and call["end_reason"] == "cancelled"
          and call["sip_status"] == 487, "cancelled, 487")
    check(act(ctl, alice, cid, "cancel")["sip_status"] == 487,
          "repeated cancel: 200, still 487")
    act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("K2")}}, 409)
    b_ev.expect("call.incoming")
    check(b_ev.expect("call.ended")["call"]["sip_status"] == 487,
          "callee told")
    a_ev.expect("call.ringing")
    check(a_ev.expect("call.ended")["call"]["end_reason"] == "cancelled",
          "caller told")
    # cancel after answer
    cid = place(ctl, alice, "bob", make_sdp("K3"))["id"]
    act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("K4")}})
    act(ctl, alice, cid, "cancel", None, 409)
    check(get_call(ctl, bob, cid)["state"] == "active", "still active")
    check(parse_metrics(ctl)
          .get('acs_call_failures_total{reason="cancelled"}') == 1,
          "cancelled counted as failure")
    a_ev.close()
    b_ev.close()


def case_decline(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev = EventStream(ctl, alice)
    for body, reason, sip in ((None, "declined", 603),
                              ({"reason": "busy"}, "busy", 486),
                              ({"reason": "decline"}, "declined", 603),
                              ({"reason": "unavailable"}, "unavailable",
                               480)):
        cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
        act(ctl, alice, cid, "decline", body, 403)
        call = act(ctl, bob, cid, "decline", body)
        check(call["end_reason"] == reason and call["sip_status"] == sip,
              "decline %r -> %s %d" % (body, reason, sip))
        ended = a_ev.expect("call.ended")["call"]
        check(ended["sip_status"] == sip, "caller gets %d" % sip)
        check(get_call(ctl, alice, cid)["sip_status"] == sip, "GET sip")
        # repeated (with another reason, too): 200, the first one stands
        again = act(ctl, bob, cid, "decline", {"reason": "busy"})
        check(again["end_reason"] == reason and again["sip_status"] == sip,
              "repeated decline keeps %s %d: %r" % (reason, sip, again))
        a_ev.expect_nothing()
    a_ev.close()


def case_timeouts(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev = EventStream(ctl, alice)
    cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
    ended = a_ev.expect("call.ended", INVITE_TIMEOUT + 10)["call"]
    check(ended["id"] == cid and ended["end_reason"] == "timeout"
          and ended["sip_status"] == 408, "invite timeout 408")
    act(ctl, bob, cid, "ringing", None, 409)

    cid = place(ctl, alice, "bob", make_sdp("K2"))["id"]
    t0 = time.monotonic()
    act(ctl, bob, cid, "ringing")
    a_ev.expect("call.ringing")
    ended = a_ev.expect("call.ended", RING_TIMEOUT + 10)["call"]
    check(ended["end_reason"] == "no_answer" and ended["sip_status"] == 480,
          "ring timeout 480")
    check(time.monotonic() - t0 >= RING_TIMEOUT - 0.5, "not too early")
    act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("K3")}}, 409)
    m = parse_metrics(ctl)
    check(m.get('acs_call_failures_total{reason="timeout"}') == 1 and
          m.get('acs_call_failures_total{reason="no_answer"}') == 1,
          "timeouts counted")
    a_ev.close()


def case_candidate_batch(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    a_ev, b_ev = EventStream(ctl, alice), EventStream(ctl, bob)
    cid = place(ctl, alice, "bob", make_sdp("B1"))["id"]
    b_ev.expect("call.incoming")
    path = "/v1/calls/%s/candidates" % cid

    def batch(ids, eoc=None):
        body = {"candidates": [{"candidate": candidate(i), "mline_index": 0}
                               for i in ids]}
        if eoc is not None:
            body["end_of_candidates"] = eoc
        return body

    # Refused batches relay nothing
    bad = [
        ({"candidates": {"candidate": candidate(1)}}, "candidates"),
        ({"candidates": []}, "candidates"),
        ({"candidates": [], "end_of_candidates": "yes"}, "end_of_candidates"),
        ({"candidates": [candidate(1)]}, "candidates"),
        ({"candidates": [{"end_of_candidates": True}]}, "candidates"),
        ({"candidates": [{"candidate": candidate(1), "mline_index": 0},
                         {"candidate": "x", "mline_index": 0}]},
         "candidates[1].candidate"),
        ({"candidates": [{"candidate": candidate(1), "mline_index": 0},
                         {"candidate": candidate(2)}]},
         "candidates[1].mline_index"),
        ({"candidates": [{"candidate": candidate(1), "mline_index": 0}],
          "candidate": candidate(2), "mline_index": 0}, "candidates"),
        (batch(range(1, 130)), "candidates"),
    ]
    for body, field in bad:
        status, err, _ = ctl.request("POST", path, alice, body)
        check(status == 400 and err["error"]["field"] == field,
              "batch %r: 400 on %s, got %d %r" % (body, field, status, err))
    b_ev.expect_nothing()

    # The caller's batch goes at once, in order, end of candidates last
    act(ctl, alice, cid, "candidates", batch([1, 2, 3], True), 202)
    for i in (1, 2, 3):
        check(b_ev.expect("call.candidate") == {
            "call_id": cid, "candidate": candidate(i), "mline_index": 0},
            "batched caller candidate %d in order" % i)
    check(b_ev.expect("call.candidate") == {"call_id": cid,
                                            "end_of_candidates": True},
          "batched end of candidates")
    # The callee's batch is held until the answer, like single ones
    act(ctl, bob, cid, "candidates", batch([11, 12]), 202)
    act(ctl, bob, cid, "candidates", {"candidates": [],
                                      "end_of_candidates": True}, 202)
    a_ev.expect_nothing()
    act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp("B2")}})
    a_ev.expect("call.answered")
    for i in (11, 12):
        check(a_ev.expect("call.candidate")["candidate"] == candidate(i),
              "held batched callee candidate %d" % i)
    check(a_ev.expect("call.candidate").get("end_of_candidates") is True,
          "held end of candidates")

    # The per-party limit (128) counts every entry, the end of candidates
    # too (4 so far); a batch over it is refused whole
    for first in range(4, 124, 40):
        act(ctl, alice, cid, "candidates",
            batch(range(first, first + 40)), 202)
    status, err, _ = ctl.request("POST", path, alice,
                                 batch(range(200, 205)))
    check(status == 429 and err["error"]["code"] == "too_many_candidates",
          "over the limit: 429, got %d" % status)
    act(ctl, alice, cid, "candidates", batch(range(210, 214)), 202)
    for i in list(range(4, 124)) + list(range(210, 214)):
        check(b_ev.expect("call.candidate")["candidate"] == candidate(i),
              "candidate %d relayed" % i)
    b_ev.expect_nothing()
    act(ctl, alice, cid, "hangup")
    a_ev.close()
    b_ev.close()


def answered_call(ctl, alice, bob, tag):
    cid = place(ctl, alice, "bob", make_sdp(tag + "O"))["id"]
    ans = act(ctl, bob, cid, "answer", {"answer": {"sdp": make_sdp(tag + "A")}})
    check(ans["state"] == "active" and
          ans["session_expires"] == SESSION_EXPIRES,
          "active, with session_expires")
    return cid, time.monotonic()


def case_session_timer(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    carol = ctl.token("carol")

    # Neither party has an event stream; alice polls the call, bob is gone
    cid, t0 = answered_call(ctl, alice, bob, "S1")
    while True:
        call = get_call(ctl, alice, cid)
        if call["state"] != "active":
            break
        check(time.monotonic() - t0 < SESSION_EXPIRES + 5,
              "the session expires")
        time.sleep(0.2)
    gone = time.monotonic() - t0
    check(call["end_reason"] == "session_expired" and
          call["sip_status"] == 408, "ended: session_expired, 408: %r" % call)
    check(gone >= SESSION_EXPIRES - 0.3, "not before the expiry (%.2f s)"
          % gone)
    act(ctl, bob, cid, "hangup", None, 409)
    act(ctl, alice, cid, "refresh", None, 409)

    # Explicit refreshes by both parties keep it going
    cid, t0 = answered_call(ctl, alice, bob, "S2")
    act(ctl, carol, cid, "refresh", None, 403)
    while time.monotonic() - t0 < 2.5 * SESSION_EXPIRES:
        for tok in (alice, bob):
            check(act(ctl, tok, cid, "refresh")["state"] == "active",
                  "refreshed call stays active")
        time.sleep(0.3)
    act(ctl, alice, cid, "hangup")

    # Open event streams keep it going with no request at all; once bob's
    # stream is gone, the call ends one session expiry later
    a_ev, b_ev = EventStream(ctl, alice), EventStream(ctl, bob)
    cid, t0 = answered_call(ctl, alice, bob, "S3")
    b_ev.expect("call.incoming")
    a_ev.expect("call.answered")
    a_ev.expect_nothing(2.5 * SESSION_EXPIRES)
    b_ev.close()
    t1 = time.monotonic()
    ended = a_ev.expect("call.ended", SESSION_EXPIRES + 10)["call"]
    gone = time.monotonic() - t1
    check(ended["id"] == cid and ended["end_reason"] == "session_expired",
          "ended once bob's stream is gone")
    check(gone >= SESSION_EXPIRES - 0.3, "not before the expiry (%.2f s)"
          % gone)
    check(parse_metrics(ctl)["acs_calls_active"] == 0, "no active call")
    a_ev.close()


def forge(header, claims, key):
    h = b64url(json.dumps(header).encode())
    c = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, ("%s.%s" % (h, c)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, c, b64url(sig))


def case_tokens(ctl):
    now = int(time.time())
    # 3 s: minting runs a process, slow under ASan; the token must still be
    # valid for the first request
    short = ctl.token("alice", ttl=3)
    status, _, _ = ctl.request("GET", "/v1/ice-servers", short)
    check(status == 200, "fresh short token works")
    time.sleep(4.2)
    good = ctl.token("alice")
    claims = {"sub": "alice", "scope": ["call"], "iat": now,
              "exp": now + 600}
    sig = good.split(".")[2]
    flipped = good[:-len(sig)] + ("A" if sig[0] != "A" else "B") + sig[1:]
    flipped_last = good[:-1] + ("A" if good[-1] != "A" else "Q")
    none = "%s.%s." % (b64url(b'{"alg":"none","typ":"JWT"}'),
                       b64url(json.dumps(claims).encode()))
    other = forge({"alg": "HS256", "typ": "JWT"}, claims, b"x" * 32)
    with open(os.path.join(ctl.state, "token-secret"), "rb") as f:
        secret = f.read()
    hs512 = forge({"alg": "HS512", "typ": "JWT"}, claims, secret)
    no_scope = forge({"alg": "HS256", "typ": "JWT"},
                     dict(claims, scope=[]), secret)
    ctl.tokens += [flipped, flipped_last, none, other, hs512]
    for name, token, expect in (("expired", short, 401),
                                ("flipped signature", flipped, 401),
                                ("flipped last char", flipped_last, 401),
                                ("alg none", none, 401),
                                ("other secret", other, 401),
                                ("HS512", hs512, 401),
                                ("garbage", "abc.def.ghi", 401),
                                ("empty", "", 401),
                                ("no call scope", no_scope, 403),
                                ("good", good, 200)):
        status, body, resp = ctl.request("GET", "/v1/ice-servers", token)
        check(status == expect, "%s: expected %d, got %d" %
              (name, expect, status))
        if expect == 401:
            check(body["error"]["code"] == "unauthorized", name)
            check(resp.getheader("WWW-Authenticate", "")
                  .startswith("Bearer"), "WWW-Authenticate on 401")
    status, body, _ = ctl.request("GET", "/v1/events", None)
    check(status == 401, "no Authorization")
    status, body, _ = ctl.request("GET", "/v1/events", None,
                                  headers={"Authorization": "Basic YTpi"})
    check(status == 401, "Basic auth refused")
    # mint-token refuses bad users
    r = subprocess.run([ctl.binary, "mint-token", "--state-dir", ctl.state,
                        "--user", "a b"], capture_output=True)
    check(r.returncode != 0, "mint-token refuses 'a b'")


def case_forbidden(ctl):
    alice, bob, carol = (ctl.token(u) for u in ("alice", "bob", "carol"))
    cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
    before = get_call(ctl, alice, cid)
    for method, action, body in (
            ("GET", "", None), ("POST", "/ringing", None),
            ("POST", "/answer", {"answer": {"sdp": make_sdp("K2")}}),
            ("POST", "/decline", {"reason": "busy"}),
            ("POST", "/cancel", None), ("POST", "/hangup", None),
            ("POST", "/candidates", {"candidate": candidate(1),
                                     "mline_index": 0})):
        status, resp, _ = ctl.request(method, "/v1/calls/%s%s" %
                                      (cid, action), carol, body)
        check(status == 403 and resp["error"]["code"] == "forbidden",
              "carol %s%s: %d" % (method, action, status))
    s = EventStream(ctl, carol, "/v1/calls/%s/events" % cid)
    check(s.status == 403, "carol cannot stream the call's events")
    act(ctl, alice, cid, "answer", {"answer": {"sdp": make_sdp("K2")}}, 403)
    act(ctl, alice, cid, "ringing", None, 403)
    act(ctl, bob, cid, "cancel", None, 403)
    check(get_call(ctl, bob, cid) == before, "state unchanged")


def case_resume(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    b_ev = EventStream(ctl, bob)
    cid = place(ctl, alice, "bob", make_sdp("K1"))["id"]
    b_ev.expect("call.incoming")
    act(ctl, alice, cid, "candidates", {"candidate": candidate(1),
                                        "mline_index": 0}, 202)
    b_ev.expect("call.candidate")
    seen = b_ev.last_id
    b_ev.close()            # forced disconnect mid-flow
    for i in range(2, 7):
        act(ctl, alice, cid, "candidates", {"candidate": candidate(i),
                                            "mline_index": 0}, 202)
    b2 = EventStream(ctl, bob, last_id=seen)
    got = []
    for i in range(2, 7):
        ev = b2.next()
        check(ev["event"] == "call.candidate", "resumed candidate")
        got.append((int(ev["id"]), ev["data"]["candidate"]))
    check([c for _, c in got] == [candidate(i) for i in range(2, 7)],
          "no event lost, in order")
    check([i for i, _ in got] == list(range(seen + 1, seen + 6)),
          "ids continue without a gap")
    b2.expect_nothing(1.5)  # none twice (pings are comments)
    check(b2.pings >= 1, "heartbeat comments arrive")
    act(ctl, alice, cid, "candidates", {"candidate": candidate(7),
                                        "mline_index": 0}, 202)
    check(b2.expect("call.candidate")["candidate"] == candidate(7), "live")
    b2.close()

    # an id from the future (another controller life): reset, then all
    b3 = EventStream(ctl, bob, last_id=999999)
    b3.expect("stream.reset")
    check(b3.expect("call.incoming")["call"]["id"] == cid, "then the log")
    b3.close()
    # a bad Last-Event-ID
    s = EventStream(ctl, bob, last_id="abc")
    check(s.status == 400 and s.body["error"]["field"] == "Last-Event-ID",
          "bad Last-Event-ID is 400")

    # more than 256 events later, an old id gets stream.reset first
    first_seen = seen
    for n in range(3):
        c2 = place(ctl, alice, "bob", make_sdp("K%d" % n))["id"]
        for i in range(100):
            act(ctl, alice, c2, "candidates",
                {"candidate": candidate(i % 200), "mline_index": 0}, 202)
        act(ctl, alice, c2, "cancel")
    b4 = EventStream(ctl, bob, last_id=first_seen)
    reset = b4.expect("stream.reset")
    check(reset["last_id"] - reset["first_id"] + 1 == 256,
          "256 events kept: %r" % reset)
    ev = b4.next()
    check(int(ev["id"]) > first_seen + 1, "the oldest kept event follows")
    # the ring (grown from 8 slots to 256, then wrapped) kept them in order
    check(int(ev["id"]) == reset["first_id"], "first kept id")
    for want in range(reset["first_id"] + 1, reset["last_id"] + 1):
        check(int(b4.next()["id"]) == want, "event %d in order" % want)
    b4.expect_nothing()
    b4.close()


def case_stream_limit(ctl):
    bob = ctl.token("bob")
    streams = [EventStream(ctl, bob) for _ in range(4)]
    check(all(s.status == 200 for s in streams), "4 streams open")
    extra = EventStream(ctl, bob, "/v1/events")
    check(extra.status == 429 and
          extra.body["error"]["code"] == "too_many_streams", "5th is 429")
    check(parse_metrics(ctl)["acs_event_streams"] == 4, "4 streams counted")
    streams[0].close()
    # the controller notices at the next heartbeat write
    deadline = time.monotonic() + 15
    while True:
        s = EventStream(ctl, bob)
        if s.status == 200:
            break
        check(time.monotonic() < deadline, "a closed stream is freed")
        time.sleep(0.5)
    for x in streams[1:] + [s]:
        x.close()


SDP_OK = make_sdp("TABLEKEY")


def sdp_without(attr):
    return "".join(l + "\r\n" for l in SDP_OK.split("\r\n")
                   if l and not l.startswith(attr))


def case_malformed(ctl):
    alice, bob = ctl.token("alice"), ctl.token("bob")
    ctl.secrets.append("TABLEKEY")
    cid = place(ctl, alice, "bob", SDP_OK)["id"]
    act(ctl, bob, cid, "ringing")
    before = get_call(ctl, alice, cid)
    calls = "/v1/calls"
    c = "/v1/calls/" + cid
    big = "x" * (70 * 1024)
    big_sdp = SDP_OK + "a=x:" + "y" * (33 * 1024) + "\r\n"
    # (name, method, path, token, raw body or json, content type,
    #  status, code, field)
    J = "application/json"
    table = [
        ("not json", "POST", calls, alice, "{nope", J, 400, "invalid_json"),
        ("json array", "POST", calls, alice, "[1,2]", J, 400,
         "invalid_json"),
        ("json string", "POST", calls, alice, '"x"', J, 400, "invalid_json"),
        ("trailing garbage", "POST", calls, alice, '{"a":1} x', J, 400,
         "invalid_json"),
        ("not utf-8", "POST", calls, alice, b'{"a":"\xff"}', J, 400,
         "invalid_json"),
        ("too deep", "POST", calls, alice, "[" * 100 + "]" * 100, J, 400,
         "invalid_json"),
        ("too large", "POST", calls, alice, '{"a":"%s"}' % big, J, 413,
         "too_large"),
        ("text/plain", "POST", calls, alice, "{}", "text/plain", 415,
         "unsupported_media_type"),
        ("no content type", "POST", calls, alice, "{}", None, 415,
         "unsupported_media_type"),
        ("missing to", "POST", calls, alice, {"offer": {"sdp": SDP_OK}}, J,
         400, "missing_field", "to"),
        ("to not object", "POST", calls, alice,
         {"to": "bob", "offer": {"sdp": SDP_OK}}, J, 400, "invalid_field",
         "to"),
        ("to.user missing", "POST", calls, alice,
         {"to": {}, "offer": {"sdp": SDP_OK}}, J, 400, "missing_field",
         "to.user"),
        ("to.user number", "POST", calls, alice,
         {"to": {"user": 7}, "offer": {"sdp": SDP_OK}}, J, 400,
         "invalid_field", "to.user"),
        ("to.user bad chars", "POST", calls, alice,
         {"to": {"user": "b/b"}, "offer": {"sdp": SDP_OK}}, J, 400,
         "invalid_field", "to.user"),
        ("call oneself", "POST", calls, alice,
         {"to": {"user": "alice"}, "offer": {"sdp": SDP_OK}}, J, 400,
         "invalid_field", "to.user"),
        ("phone not yet", "POST", calls, alice,
         {"to": {"phone": "+15551234567"}, "offer": {"sdp": SDP_OK}}, J,
         400, "invalid_field", "to"),
        ("kind group", "POST", calls, alice,
         {"kind": "group", "to": {"user": "bob"}, "offer": {"sdp": SDP_OK}},
         J, 400, "invalid_field", "kind"),
        ("kind number", "POST", calls, alice,
         {"kind": 1, "to": {"user": "bob"}, "offer": {"sdp": SDP_OK}}, J,
         400, "invalid_field", "kind"),
        ("missing offer", "POST", calls, alice, {"to": {"user": "bob"}}, J,
         400, "missing_field", "offer"),
        ("offer.sdp missing", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {}}, J, 400, "missing_field",
         "offer.sdp"),
        ("offer.sdp number", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": 5}}, J, 400,
         "invalid_field", "offer.sdp"),
        ("sdp garbage", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": "hello"}}, J, 400,
         "invalid_sdp", "offer.sdp"),
        ("sdp no m=", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": SDP_OK.split("m=")[0]}}, J,
         400, "invalid_sdp", "offer.sdp"),
        ("sdp no ufrag", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": sdp_without("a=ice-ufrag")}},
         J, 400, "invalid_sdp", "offer.sdp"),
        ("sdp no pwd", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": sdp_without("a=ice-pwd")}},
         J, 400, "invalid_sdp", "offer.sdp"),
        ("sdp every line rejected", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": SDP_OK.replace(
             "m=audio 9 ", "m=audio 0 ")}}, J, 400, "invalid_sdp",
         "offer.sdp"),
        ("sdp video without crypto", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": SDP_OK +
                                           "m=video 9 RTP/SAVP 97\r\n"}},
         J, 400, "invalid_sdp", "offer.sdp"),
        ("sdp no crypto", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": sdp_without("a=crypto")}},
         J, 400, "invalid_sdp", "offer.sdp"),
        ("sdp too large", "POST", calls, alice,
         {"to": {"user": "bob"}, "offer": {"sdp": big_sdp}}, J, 413,
         "too_large", "offer.sdp"),
        ("answer no body", "POST", c + "/answer", bob, None, None, 400,
         "missing_field", "answer"),
        ("answer bad sdp", "POST", c + "/answer", bob,
         {"answer": {"sdp": "v=0\r\n"}}, J, 400, "invalid_sdp",
         "answer.sdp"),
        ("answer sdp wrong type", "POST", c + "/answer", bob,
         {"answer": "sdp"}, J, 400, "invalid_field", "answer"),
        ("answer by caller", "POST", c + "/answer", alice,
         {"answer": {"sdp": SDP_OK}}, J, 403, "forbidden"),
        ("hangup while ringing", "POST", c + "/hangup", alice, None, None,
         409, "wrong_state"),
        ("decline bad reason", "POST", c + "/decline", bob,
         {"reason": "tired"}, J, 400, "invalid_field", "reason"),
        ("decline reason type", "POST", c + "/decline", bob,
         {"reason": 486}, J, 400, "invalid_field", "reason"),
        ("candidate missing", "POST", c + "/candidates", bob, {}, J, 400,
         "missing_field", "candidate"),
        ("candidate prefix", "POST", c + "/candidates", bob,
         {"candidate": "1 1 UDP 1 10.0.0.1 1 typ host", "mline_index": 0},
         J, 400, "invalid_field", "candidate"),
        ("candidate too long", "POST", c + "/candidates", bob,
         {"candidate": "candidate:" + "1" * 1100, "mline_index": 0}, J, 400,
         "invalid_field", "candidate"),
        ("candidate newline", "POST", c + "/candidates", bob,
         {"candidate": candidate(1) + "\r\na=x", "mline_index": 0}, J, 400,
         "invalid_field", "candidate"),
        ("mline_index missing", "POST", c + "/candidates", bob,
         {"candidate": candidate(1)}, J, 400, "missing_field",
         "mline_index"),
        ("mline_index string", "POST", c + "/candidates", bob,
         {"candidate": candidate(1), "mline_index": "0"}, J, 400,
         "invalid_field", "mline_index"),
        ("mline_index float", "POST", c + "/candidates", bob,
         {"candidate": candidate(1), "mline_index": 0.5}, J, 400,
         "invalid_field", "mline_index"),
        ("mline_index negative", "POST", c + "/candidates", bob,
         {"candidate": candidate(1), "mline_index": -1}, J, 400,
         "invalid_field", "mline_index"),
        ("eoc not boolean", "POST", c + "/candidates", bob,
         {"end_of_candidates": "yes"}, J, 400, "invalid_field",
         "end_of_candidates"),
        ("unknown call", "POST", "/v1/calls/AAAAAAAAAAAAAAAAAAAAAA/answer",
         bob, {"answer": {"sdp": SDP_OK}}, J, 404, "not_found"),
        ("unknown call GET", "GET", "/v1/calls/nope", bob, None, None, 404,
         "not_found"),
        ("unknown path", "GET", "/v1/nothing", bob, None, None, 404,
         "not_found"),
        ("unknown action", "POST", c + "/transfer", bob, {}, J, 404,
         "not_found"),
        ("trailing slash", "GET", c + "/", bob, None, None, 404,
         "not_found"),
        ("GET on action", "GET", c + "/answer", bob, None, None, 405,
         "method_not_allowed"),
        ("DELETE a call", "DELETE", c, alice, None, None, 405,
         "method_not_allowed"),
        ("POST health", "POST", "/v1/health", None, "{}", J, 405,
         "method_not_allowed"),
        ("no token", "POST", c + "/cancel", None, None, None, 401,
         "unauthorized"),
        ("bad token", "POST", c + "/cancel", "x.y.z", None, None, 401,
         "unauthorized"),
    ]
    check(len(table) >= 30, "at least 30 cases")
    for row in table:
        name, method, path, token, body, ctype, status, code = row[:8]
        field = row[8] if len(row) > 8 else None
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        got, resp, r = ctl.request(method, path, token, raw=body,
                                   content_type=ctype)
        check(got == status, "%s: expected %d, got %d %r" %
              (name, status, got, resp))
        check(isinstance(resp, dict) and "error" in resp,
              "%s: JSON error body" % name)
        err = resp["error"]
        check(err["status"] == status and err["code"] == code,
              "%s: expected %s, got %r" % (name, code, err))
        check(err.get("field") == field, "%s: field %r, got %r" %
              (name, field, err.get("field")))
        check(isinstance(err.get("message"), str) and err["message"],
              "%s: message" % name)
        if status == 405:
            check(r.getheader("Allow") in ("GET", "POST"), "Allow header")
        check(get_call(ctl, alice, cid) == before,
              "%s: call state changed" % name)
    # no call was created by the refused places
    m = parse_metrics(ctl)
    check(m["acs_calls_active"] == 1, "only the one call exists")


def parse_metrics(ctl):
    status, text, resp = ctl.request("GET", "/metrics")
    check(status == 200, "metrics 200")
    check(resp.getheader("Content-Type", "").startswith("text/plain"),
          "metrics content type")
    values = {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
                        r'(\{(?:[a-zA-Z_]+="[^"\\]*",?)*\})? '
                        r'([-+]?[0-9.eE+-]+|\+Inf|NaN)$')
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = sample.match(line)
        check(m is not None, "metrics line parses: %r" % line)
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in typed or base in typed, "%s has a TYPE" % name)
        values[name + (m.group(2) or "")] = float(m.group(3))
    return values


def case_metrics(ctl):
    alice = ctl.token("alice")
    m0 = parse_metrics(ctl)
    for name in ("acs_calls_active", "acs_call_setups_total",
                 "acs_event_streams",
                 'acs_http_request_duration_seconds_bucket{le="+Inf"}',
                 "acs_http_request_duration_seconds_count"):
        check(name in m0, "metric %s" % name)
    for _ in range(3):
        ctl.request("GET", "/v1/health")
    ctl.request("GET", "/v1/calls/nope", alice)
    m = parse_metrics(ctl)
    key = 'acs_http_requests_total{method="GET",path="/v1/health",' \
        'status="200"}'
    check(m[key] == 3, "3 health requests counted")
    key = 'acs_http_requests_total{method="GET",path="/v1/calls/{id}",' \
        'status="404"}'
    check(m[key] == 1, "404 counted under the path template")
    check(m["acs_http_request_duration_seconds_count"] ==
          m0["acs_http_request_duration_seconds_count"] + 5,
          "histogram counts every request")
    log = ctl.log()
    check(re.search(r"request method=GET path=/v1/calls/\{id\} status=404 "
                    r"latency_ms=[0-9.]+ user=alice", log),
          "one structured line per request")


def case_ice_servers(ctl):
    alice = ctl.token("alice")
    status, body, _ = ctl.request("GET", "/v1/ice-servers", alice)
    check(status == 200, "ice-servers 200")
    stun, turn = body["ice_servers"]
    check(stun == {"urls": ["stun:127.0.0.1:3478"]}, "stun entry")
    check(turn["urls"] == ["turn:127.0.0.1:3478?transport=udp",
                           "turn:127.0.0.1:3478?transport=tcp"], "turn urls")
    expiry, user = turn["username"].split(":")
    check(user == "alice", "username has the user")
    check(abs(int(expiry) - (time.time() + 600)) < 30, "expiry = now+ttl")
    check(body["ttl"] == 600, "ttl")
    want = base64.b64encode(hmac.new(b"north-secret",
                                     turn["username"].encode(),
                                     hashlib.sha1).digest()).decode()
    check(turn["credential"] == want, "coturn REST credential")
    ctl.secrets.append(turn["credential"])


def case_insecure_http(ctl):
    status, body, _ = ctl.request("GET", "/v1/health")
    check(status == 200 and body == {"status": "ok"}, "plain HTTP health")
    check("insecure-http" in ctl.log(), "a warning says so")


def case_https_only(ctl):
    conn = http.client.HTTPConnection("127.0.0.1", ctl.port, timeout=10)
    try:
        conn.request("GET", "/v1/health")
        resp = conn.getresponse()
        ok = resp.status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    conn.close()
    check(not ok, "plain HTTP refused on the HTTPS port")
    status, _, _ = ctl.request("GET", "/v1/health")
    check(status == 200, "HTTPS works")


CASES = {
    "full_flow": (case_full_flow, []),
    "place_repeat": (case_place_repeat, []),
    "hangup_by_callee": (case_hangup_by_callee, []),
    "cancel": (case_cancel, []),
    "decline": (case_decline, []),
    "timeouts": (case_timeouts, ["--invite-timeout", str(INVITE_TIMEOUT),
                                 "--ring-timeout", str(RING_TIMEOUT)]),
    "candidate_batch": (case_candidate_batch, []),
    "session_timer": (case_session_timer, ["--session-expires",
                                           str(SESSION_EXPIRES)]),
    "tokens": (case_tokens, []),
    "forbidden": (case_forbidden, []),
    "resume": (case_resume, []),
    "stream_limit": (case_stream_limit, []),
    "malformed": (case_malformed, []),
    "metrics": (case_metrics, []),
    "ice_servers": (case_ice_servers, [
        "--stun-uri", "stun:127.0.0.1:3478",
        "--turn-uri", "turn:127.0.0.1:3478?transport=udp",
        "--turn-uri", "turn:127.0.0.1:3478?transport=tcp",
        "--turn-secret", "north-secret", "--turn-ttl", "600"]),
    "insecure_http": (case_insecure_http, ["--insecure-http"]),
    "https_only": (case_https_only, []),
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: %s ACS_CONTROLLER {%s}" % (sys.argv[0],
                                                 ",".join(CASES)))
        return 2
    func, args = CASES[sys.argv[2]]
    ctl = Controller(sys.argv[1], *args)
    try:
        func(ctl)
    except Exception:
        ctl.proc.kill()
        ctl.proc.wait()
        sys.stderr.write("--- controller log ---\n%s\n" % ctl.log())
        raise
    ctl.stop()
    print("ok %s" % sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
