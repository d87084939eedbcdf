#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One short call endpoint with acsicebin, for the connect-time benchmark.

Derived from tests/lab/lab_endpoint.py (same pipeline, same file exchange),
changed for timing:
  - start barrier: after READY the endpoint writes R.ready in the exchange
    dir and goes to PLAYING only when the file "go" appears, so both sides
    of a call start within a few ms of each other (Python start-up is not
    measured);
  - short calls: the endpoint stops 1 s after its first received packet
    once the peer has received one too (file R.first), or after --timeout;
  - --agent-prop NAME=VALUE set a property of the element's NiceAgent
    before gathering; acsicebin no longer has the nicesink child through
    which it was found, so this now fails; --element-prop NAME=VALUE sets
    one of acsicebin's.

Pipeline: audiotestsrc ! opusenc ! rtpopuspay ! acssrtpenc ! acsicebin !
acssrtpdec ! fakesink. Times are seconds from PLAYING: connected_at (first
acs-ice-state "connected"), first_packet_at (first decrypted RTP packet).

Files written to the exchange dir by role R:
  R.creds   "<ufrag> <pwd>"
  R.cands   candidate lines, "end" when gathering is done
  R.ready   the pipeline is in READY
  R.first   R received its first packet
"""

import argparse
import json
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# A fixed test key: the benchmark is about transport, not about keying
SRTP_KEY = "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYg=="
LINGER = 1.0


def wait_for_go(path, timeout=30.0):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def parse_value(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return text


class Endpoint:
    def __init__(self, args):
        self.args = args
        self.role = args.role
        self.peer = "b" if args.role == "a" else "a"
        self.dir = args.exchange_dir
        self.t0 = None
        self.events = []
        self.pairs = []
        self.errors = []
        self.received = 0
        self.first_rx = None
        self.connected_at = None
        self.peer_creds_set = False
        self.peer_cands_read = 0
        self.timed_out = False

        ssrc = 0x1000 if self.role == "a" else 0x2000
        desc = (
            "audiotestsrc is-live=true samplesperbuffer=960 ! "
            "audio/x-raw,rate=48000,channels=1 ! opusenc ! "
            "rtpopuspay pt=96 ssrc=%d ! acssrtpenc inline-key=%s ! "
            "acsicebin name=ice ! acssrtpdec inline-key=%s ! "
            "fakesink name=sink sync=false signal-handoffs=true"
            % (ssrc, SRTP_KEY, SRTP_KEY))
        self.pipeline = Gst.parse_launch(desc)
        self.ice = self.pipeline.get_by_name("ice")
        ice = self.ice
        ice.set_property("controlling", args.controlling)
        if args.stun:
            ice.set_property("stun-server", args.stun)
        for t in args.turn or []:
            ice.emit("add-turn-server", t)
        ice.connect("on-ice-candidate", self.on_candidate)
        ice.connect("on-gathering-done", self.on_gathering_done)
        self.pipeline.get_by_name("sink").connect("handoff", self.on_rx)
        self.cand_file = open(os.path.join(self.dir, self.role + ".cands"),
                              "a", buffering=1)
        for item in args.element_prop or []:
            name, value = item.split("=", 1)
            ice.set_property(name, parse_value(value))
        if args.agent_prop:
            agent = self.find_agent()
            for item in args.agent_prop:
                name, value = item.split("=", 1)
                agent.set_property(name, parse_value(value))

        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def find_agent(self):
        it = self.ice.iterate_elements()
        while True:
            res, elem = it.next()
            if res != Gst.IteratorResult.OK:
                break
            if elem.get_factory().get_name() == "nicesink":
                return elem.get_property("agent")
        raise RuntimeError("--agent-prop: acsicebin has no nicesink child "
                           "(it sends without one): its NiceAgent cannot "
                           "be reached")

    def now(self):
        return round(time.monotonic() - self.t0, 4) if self.t0 else 0.0

    def write_file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def on_candidate(self, ice, cand):
        self.cand_file.write("%s\n" % cand)

    def on_gathering_done(self, ice):
        self.cand_file.write("end\n")

    def on_rx(self, sink, buf, pad):
        if self.first_rx is None:
            self.first_rx = self.now()
            self.write_file(self.role + ".first", "%.4f\n" % self.first_rx)
        self.received += 1

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "acs-ice-state":
                state = s.get_string("state")
                self.events.append([self.now(), state])
                if state == "connected" and self.connected_at is None:
                    self.connected_at = self.now()
            elif s.get_name() == "acs-ice-selected-pair":
                pair = {f: s.get_string(f) for f in (
                    "local-type", "remote-type", "transport",
                    "relay-transport")}
                pair["time"] = self.now()
                self.pairs.append(pair)
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.errors.append({"time": self.now(), "message": err.message})
            self.loop.quit()

    def poll_peer(self):
        if not self.peer_creds_set:
            try:
                with open(os.path.join(self.dir, self.peer + ".creds")) as f:
                    ufrag, pwd = f.read().split()
            except (OSError, ValueError):
                return True
            self.ice.emit("set-remote-credentials", ufrag, pwd)
            self.peer_creds_set = True
        try:
            with open(os.path.join(self.dir, self.peer + ".cands")) as f:
                # a line is complete only when its newline is there
                lines = f.read().split("\n")[:-1]
        except OSError:
            return True
        for cand in lines[self.peer_cands_read:]:
            self.ice.emit("add-remote-candidate",
                          "" if cand == "end" else cand)
        self.peer_cands_read = len(lines)
        return True

    def check_done(self):
        now = self.now()
        if now > self.args.timeout:
            self.timed_out = True
            self.loop.quit()
            return False
        if (self.first_rx is not None and now > self.first_rx + LINGER
                and os.path.exists(os.path.join(self.dir,
                                                self.peer + ".first"))):
            self.loop.quit()
            return False
        return True

    def run(self):
        self.loop = GLib.MainLoop()
        self.pipeline.set_state(Gst.State.READY)
        self.write_file(self.role + ".creds", "%s %s\n" % (
            self.ice.get_property("local-ufrag"),
            self.ice.get_property("local-pwd")))
        self.write_file(self.role + ".ready", "")
        if not wait_for_go(os.path.join(self.dir, "go")):
            self.errors.append({"time": 0, "message": "no go"})
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(10, self.poll_peer)
        GLib.timeout_add(20, self.check_done)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return {
            "impl": "acs",
            "role": self.role,
            "t0_wall": self.t0_wall,
            "connected_at": self.connected_at,
            "first_packet_at": self.first_rx,
            "received": self.received,
            "timed_out": self.timed_out,
            "states": self.events,
            "pairs": self.pairs,
            "errors": self.errors,
        }


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--role", choices=("a", "b"), required=True)
    p.add_argument("--controlling", action="store_true")
    p.add_argument("--exchange-dir", required=True)
    p.add_argument("--stun")
    p.add_argument("--turn", action="append")
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--agent-prop", action="append",
                   help="NAME=VALUE for the element's NiceAgent")
    p.add_argument("--element-prop", action="append",
                   help="NAME=VALUE for acsicebin")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    Gst.init(None)
    for name in ("acsicebin", "acssrtpenc", "opusenc"):
        if Gst.ElementFactory.find(name) is None:
            print("acs_endpoint: element %s not found" % name,
                  file=sys.stderr)
            return 2
    result = Endpoint(args).run()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
