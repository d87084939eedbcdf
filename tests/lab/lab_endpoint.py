#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One call endpoint for the network lab.

Runs audiotestsrc ! opusenc ! rtpopuspay ! acssrtpenc ! acsicebin on the
send side and acsicebin ! acssrtpdec ! (counting sink) on the receive side,
exchanges ICE credentials and candidates with the peer through files in
--exchange-dir (the signaling issue replaces this), and writes a JSON summary
of what happened: ICE states with times, selected pairs, packets received,
sequence gaps, errors.

Files written to the exchange dir by role R:
  R.creds       "<generation> <ufrag> <pwd>" (rewritten on restart)
  R.cands       "<generation> <candidate>" lines, "<generation> end" when
                gathering is done
"""

import argparse
import json
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# A fixed test key: the lab is about transport, not about keying
SRTP_KEY = "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYg=="


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
        self.warnings = []
        self.received = 0
        self.first_rx = None
        self.connected_at = None
        self.seqs = []
        self.gen = 0
        self.peer_gen = -1
        self.peer_cands_read = 0
        self.rx_ssrc = None
        self.restarted = False

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
        ice.set_property("ice-tcp", args.ice_tcp)
        ice.set_property("ice-udp", not args.no_ice_udp)
        if args.relay_only:
            ice.set_property("transport-policy", "relay")
        if args.liveness_timeout is not None:
            ice.set_property("liveness-timeout", args.liveness_timeout)
        if args.disconnected_timeout is not None:
            ice.set_property("disconnected-timeout",
                             args.disconnected_timeout)
        self.handlers = [
            (ice, ice.connect("on-ice-candidate", self.on_candidate)),
            (ice, ice.connect("on-gathering-done", self.on_gathering_done))]
        sink = self.pipeline.get_by_name("sink")
        self.handlers.append((sink, sink.connect("handoff", self.on_rx)))
        self.cand_file = open(os.path.join(self.dir, self.role + ".cands"),
                              "a", buffering=1)

        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        self.handlers.append((bus, bus.connect("message", self.on_message)))

    def now(self):
        return round(time.monotonic() - self.t0, 3) if self.t0 else 0.0

    def write_creds(self):
        path = os.path.join(self.dir, self.role + ".creds")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %s %s\n" % (self.gen,
                                    self.ice.get_property("local-ufrag"),
                                    self.ice.get_property("local-pwd")))
        os.rename(tmp, path)

    def on_candidate(self, ice, cand):
        self.cand_file.write("%d %s\n" % (self.gen, cand))

    def on_gathering_done(self, ice):
        self.cand_file.write("%d end\n" % self.gen)

    def on_rx(self, sink, buf, pad):
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return
        data = bytes(info.data[:12])
        buf.unmap(info)
        if len(data) < 12 or 192 <= data[1] <= 223:
            return
        seq = (data[2] << 8) | data[3]
        now = self.now()
        if self.first_rx is None:
            self.first_rx = now
        self.received += 1
        self.seqs.append((now, seq))

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
                    "relay-transport", "local-address", "remote-address")}
                pair["time"] = self.now()
                self.pairs.append(pair)
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.errors.append({"time": self.now(), "message": err.message,
                                "debug": dbg})
            if not self.args.keep_running_on_error:
                self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            self.warnings.append({"time": self.now(),
                                  "message": err.message, "debug": dbg})

    def poll_peer(self):
        creds = os.path.join(self.dir, self.peer + ".creds")
        try:
            with open(creds) as f:
                gen, ufrag, pwd = f.read().split()
            gen = int(gen)
        except (OSError, ValueError):
            return True
        if gen > self.peer_gen:
            # Generations are restart epochs both sides share: a peer epoch
            # above ours is a restart the peer started; an equal one is its
            # answer to ours
            peer_restarted = gen > self.gen
            self.peer_gen = gen
            self.peer_cands_read = 0
            if peer_restarted:
                # acsicebin restarts too and emits its candidates again:
                # they belong to the new epoch
                self.gen = gen
                self.events.append([self.now(), "peer-restart"])
            self.ice.emit("set-remote-credentials", ufrag, pwd)
            if peer_restarted:
                self.write_creds()
        try:
            with open(os.path.join(self.dir, self.peer + ".cands")) as f:
                lines = f.read().splitlines()
        except OSError:
            return True
        mine = [ln.split(" ", 1)[1] for ln in lines
                if ln.split(" ", 1)[0] == str(self.peer_gen)]
        for cand in mine[self.peer_cands_read:]:
            self.ice.emit("add-remote-candidate",
                          "" if cand == "end" else cand)
        self.peer_cands_read = len(mine)
        return True

    def restart(self):
        self.gen = max(self.gen, self.peer_gen) + 1
        self.events.append([self.now(), "restart"])
        self.restarted = True
        # candidates re-emitted by restart-ice go with the new generation
        self.ice.emit("restart-ice")
        self.write_creds()
        return False

    def run(self):
        self.loop = GLib.MainLoop()
        self.pipeline.set_state(Gst.State.READY)
        self.write_creds()
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(20, self.poll_peer)
        if self.args.restart_at:
            GLib.timeout_add(int(self.args.restart_at * 1000), self.restart)
        GLib.timeout_add(int(self.args.duration * 1000), self.loop.quit)
        self.loop.run()
        stats = self.pipeline.get_by_name("ice").get_property("state")
        self.pipeline.set_state(Gst.State.NULL)
        self.teardown()
        return self.summary(stats)

    def teardown(self):
        """Frees the pipeline now, so that acsicebin's finalize stops its
        agent thread before the interpreter exits: the signal closures
        hold this object, which holds the pipeline, a cycle Python's
        collector cannot see through, and a process exiting with libnice
        still running in another thread can corrupt its heap."""
        finalized = []
        self.pipeline.get_bus().remove_signal_watch()
        for obj, handler in self.handlers:
            obj.disconnect(handler)
        self.handlers = []
        self.pipeline.weak_ref(lambda: finalized.append(True))
        self.ice = None
        self.pipeline = None
        if not finalized:
            raise RuntimeError("the pipeline is still referenced")

    def summary(self, final_state):
        missing = 0
        max_gap = 0.0
        for (t1, s1), (t2, s2) in zip(self.seqs, self.seqs[1:]):
            d = (s2 - s1) & 0xffff
            if 1 < d < 0x8000:
                missing += d - 1
            max_gap = max(max_gap, t2 - t1)
        return {
            "role": self.role,
            "t0_wall": self.t0_wall,
            "connected_at": self.connected_at,
            "first_packet_at": self.first_rx,
            "received": self.received,
            "missing": missing,
            "max_gap_s": round(max_gap, 3),
            "received_after": [t for t, _ in self.seqs[-1:]],
            "states": self.events,
            "pairs": self.pairs,
            "final_state": final_state.value_nick,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--role", choices=("a", "b"), required=True)
    p.add_argument("--controlling", action="store_true")
    p.add_argument("--exchange-dir", required=True)
    p.add_argument("--stun")
    p.add_argument("--turn", action="append")
    p.add_argument("--ice-tcp", action="store_true")
    p.add_argument("--no-ice-udp", action="store_true")
    p.add_argument("--relay-only", action="store_true")
    p.add_argument("--duration", type=float, default=7.0)
    p.add_argument("--restart-at", type=float)
    p.add_argument("--liveness-timeout", type=int)
    p.add_argument("--disconnected-timeout", type=int)
    p.add_argument("--keep-running-on-error", action="store_true")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    Gst.init(None)
    for name in ("acsicebin", "acssrtpenc", "opusenc"):
        if Gst.ElementFactory.find(name) is None:
            print("lab_endpoint: element %s not found" % name,
                  file=sys.stderr)
            return 2
    result = Endpoint(args).run()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
