#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end signaling between two acssignal elements and a real
acs-controller over HTTPS (its self-signed certificate pinned).

Usage: acssignal-e2e.py PATH/TO/acs-controller

alice places a call to bob with an SDP offer; bob's element reports the
incoming call, rings and answers; alice's reports ringing and the answer;
both trickle candidates and an end-of-candidates, each side receives the
other's in order; alice hangs up and both report the end (hangup, 200).
A second call is declined as busy (486). Every callback defaults to a
failure until the test expects it. Exit 0 on success.
"""

import base64
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acscontrollerproc import Controller, Failure, check  # noqa: E402

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

TIMEOUT = 20


def make_sdp(tag):
    key = base64.b64encode((tag * 30).encode()[:28]).decode()
    return ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=ice-ufrag:%s\r\na=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\n"
            "m=audio 9 RTP/SAVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp-mux\r\n"
            "a=rtpmap:96 opus/48000/2\r\n"
            "a=crypto:1 AEAD_AES_128_GCM inline:%s\r\n" % (tag[:4], key))


class Party:
    """One acssignal in a pipeline; records what it reports."""

    def __init__(self, ctl, user):
        self.user = user
        self.pipeline = Gst.Pipeline.new(user)
        self.sig = Gst.ElementFactory.make("acssignal", None)
        check(self.sig is not None, "acssignal not found")
        self.pipeline.add(self.sig)
        self.sig.set_property("controller",
                              "https://127.0.0.1:%d" % ctl.port)
        self.sig.set_property("tls-pinned-certificate", ctl.cert)
        self.sig.set_property("token", ctl.token(user))
        self.events = []
        self.errors = []
        for name in ("on-incoming", "on-ringing", "on-answered",
                     "on-remote-candidate", "on-ended"):
            self.sig.connect(name, self.record, name)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    def record(self, sig, *args):
        name = args[-1]
        self.events.append((name,) + tuple(args[:-1]))

    def on_error(self, bus, msg):
        err, dbg = msg.parse_error()
        self.errors.append("%s: %s" % (err.message, dbg))

    def start(self):
        check(self.pipeline.set_state(Gst.State.PLAYING) !=
              Gst.StateChangeReturn.FAILURE, "%s did not start" % self.user)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)

    def act(self, action, *args):
        replies = []

        def on_reply(promise):
            replies.append(promise.get_reply())

        promise = Gst.Promise.new_with_change_func(on_reply)
        self.sig.emit(action, *(args + (promise,)))
        wait_until(lambda: replies, "%s %s reply" % (self.user, action))
        reply = replies[0]
        check(reply is not None and reply.get_name() == "acs-signal-reply",
              "%s %s failed: %s" % (self.user, action,
                                    reply.to_string() if reply else None))
        return reply

    def of(self, name):
        return [e for e in self.events if e[0] == name]


def wait_until(cond, what, timeout=TIMEOUT):
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failure("timed out waiting for " + what)
        ctx.iteration(False)
        time.sleep(0.005)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    ctl = Controller(sys.argv[1], "acs-signal-e2e-")
    alice = bob = None
    try:
        alice = Party(ctl, "alice")
        bob = Party(ctl, "bob")
        alice.start()
        bob.start()
        # both event streams are open once the elements report them
        time.sleep(0.3)

        offer, answer = make_sdp("ALICEOFFER"), make_sdp("BOBANSWER")
        alice.act("place-call", "bob", offer)
        wait_until(lambda: bob.of("on-incoming"), "bob's incoming call")
        _, call_id, caller, got_offer = bob.of("on-incoming")[0]
        check(caller == "alice", "incoming from %s" % caller)
        check(got_offer == offer, "the offer arrived changed")
        check(alice.sig.get_property("call-id") == call_id,
              "both sides name the same call")

        bob.act("ring")
        wait_until(lambda: alice.of("on-ringing"), "alice's ringing")
        bob.act("answer", answer)
        wait_until(lambda: alice.of("on-answered"), "alice's answer")
        check(alice.of("on-answered")[0][2] == answer,
              "the answer arrived changed")

        cands = ["candidate:%d 1 UDP %d 10.0.0.%d %d typ host" %
                 (i, 2000 - i, i, 5000 + i) for i in range(1, 4)]
        for c in cands:
            alice.sig.emit("add-local-candidate", 0, c)
            bob.sig.emit("add-local-candidate", 0, c.replace("10.0.0.",
                                                             "10.9.9."))
        alice.sig.emit("add-local-candidate", 0, "")
        bob.sig.emit("add-local-candidate", 0, "")
        wait_until(lambda: len(bob.of("on-remote-candidate")) == 4,
                   "bob's four candidate events")
        wait_until(lambda: len(alice.of("on-remote-candidate")) == 4,
                   "alice's four candidate events")
        check([e[3] for e in bob.of("on-remote-candidate")] == cands + [""],
              "bob got alice's candidates in order: %s" %
              bob.of("on-remote-candidate"))
        check([e[3] for e in alice.of("on-remote-candidate")] ==
              [c.replace("10.0.0.", "10.9.9.") for c in cands] + [""],
              "alice got bob's candidates in order")

        alice.act("hang-up")
        wait_until(lambda: bob.of("on-ended") and alice.of("on-ended"),
                   "both ends")
        for p in (alice, bob):
            _, cid, reason, status = p.of("on-ended")[0]
            check((cid, reason, status) == (call_id, "hangup", 200),
                  "%s ended with %s" % (p.user, (cid, reason, status)))

        # A second call, declined as busy
        alice.act("place-call", "bob", offer)
        wait_until(lambda: len(bob.of("on-incoming")) == 2, "second call")
        bob.act("decline", "busy")
        wait_until(lambda: len(alice.of("on-ended")) == 2, "the decline")
        _, _, reason, status = alice.of("on-ended")[1]
        check((reason, status) == ("busy", 486),
              "declined with %s %d" % (reason, status))

        for p in (alice, bob):
            check(not p.errors, "%s errors: %s" % (p.user, p.errors))
        print("acssignal end to end: ok")
        return 0
    except Failure as e:
        print("acssignal end to end: FAILED: %s" % e, file=sys.stderr)
        for p in (alice, bob):
            if p:
                print("%s events %s errors %s" % (p.user, p.events,
                                                   p.errors), file=sys.stderr)
        return 1
    finally:
        for p in (alice, bob):
            if p:
                p.stop()
        code = ctl.stop()
        if code != 0:
            print("the controller exited with %d" % code, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
