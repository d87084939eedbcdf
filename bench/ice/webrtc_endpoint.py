#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One short call endpoint with GStreamer's webrtcbin, for comparison.

The same role as acs_endpoint.py (and tests/lab/lab_endpoint.py), with
webrtcbin instead of acssrtpenc ! acsicebin ! acssrtpdec:

  audiotestsrc ! opusenc ! rtpopuspay ! webrtcbin (bundle-policy=max-bundle)

A (--controlling) creates the offer, B answers. SDP and trickled candidates
go through files in --exchange-dir, polled every 10 ms:
  R.sdp     the local description (A: offer, B: answer)
  R.cands   "<mline> <candidate>" lines, "end" when gathering is complete
  R.ready   the pipeline is in READY (start barrier, see acs_endpoint.py)
  R.first   R received its first packet
STUN and TURN servers take the same URIs as acsicebin's (stun-server,
add-turn-server).

Times are seconds from PLAYING:
  connected_at      ice-connection-state became connected or completed
  first_packet_at   first RTP packet out of the srtpdec inside webrtcbin
                    (decrypted, before the jitter buffer): the point where
                    acs_endpoint.py counts after acssrtpdec
  first_output_at   first packet on webrtcbin's src pad (after rtpbin's
                    jitter buffer, webrtcbin latency 200 ms by default)
"""

import argparse
import json
import os
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

LINGER = 1.0
CONNECTED = (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
             GstWebRTC.WebRTCICEConnectionState.COMPLETED)


def wait_for_go(path, timeout=30.0):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


class Endpoint:
    def __init__(self, args):
        self.args = args
        self.role = args.role
        self.peer = "b" if args.role == "a" else "a"
        self.dir = args.exchange_dir
        self.t0 = None
        self.lock = threading.Lock()
        self.events = []
        self.errors = []
        self.first_rx = None
        self.first_out = None
        self.connected_at = None
        self.remote_set = False
        self.peer_cands_read = 0
        self.timed_out = False

        ssrc = 0x1000 if self.role == "a" else 0x2000
        desc = (
            "audiotestsrc is-live=true samplesperbuffer=960 ! "
            "audio/x-raw,rate=48000,channels=1 ! opusenc ! "
            "rtpopuspay pt=96 ssrc=%d ! "
            "application/x-rtp,media=audio,encoding-name=OPUS,"
            "clock-rate=48000,payload=96 ! "
            "webrtcbin name=webrtc bundle-policy=max-bundle" % ssrc)
        self.pipeline = Gst.parse_launch(desc)
        self.webrtc = self.pipeline.get_by_name("webrtc")
        w = self.webrtc
        if args.stun:
            w.set_property("stun-server", args.stun)
        for t in args.turn or []:
            if not w.emit("add-turn-server", t):
                self.errors.append({"time": 0, "message":
                                    "add-turn-server refused a URI"})
        w.connect("on-ice-candidate", self.on_candidate)
        w.connect("notify::ice-gathering-state", self.on_gathering)
        w.connect("notify::ice-connection-state", self.on_ice_state)
        w.connect("pad-added", self.on_pad_added)
        if self.role == "a":
            w.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.pipeline.connect("deep-element-added", self.on_deep_added)
        self.cand_file = open(os.path.join(self.dir, self.role + ".cands"),
                              "a", buffering=1)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def now(self):
        return round(time.monotonic() - self.t0, 4) if self.t0 else 0.0

    def write_file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    # Signaling
    def on_negotiation_needed(self, w):
        promise = Gst.Promise.new_with_change_func(self.on_offer_created,
                                                   None)
        w.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _):
        promise.wait()
        # keep the reply: the value points into it
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())
        self.write_file("a.sdp", offer.sdp.as_text())
        self.events.append([self.now(), "offer"])

    def on_answer_created(self, promise, _):
        promise.wait()
        # keep the reply: the value points into it
        reply = promise.get_reply()
        answer = reply.get_value("answer")
        self.webrtc.emit("set-local-description", answer, Gst.Promise.new())
        self.write_file("b.sdp", answer.sdp.as_text())
        self.events.append([self.now(), "answer"])

    def set_remote(self, text):
        res, sdp = GstSdp.SDPMessage.new_from_text(text)
        kind = (GstWebRTC.WebRTCSDPType.OFFER if self.role == "b"
                else GstWebRTC.WebRTCSDPType.ANSWER)
        desc = GstWebRTC.WebRTCSessionDescription.new(kind, sdp)
        self.webrtc.emit("set-remote-description", desc, Gst.Promise.new())
        if self.role == "b":
            promise = Gst.Promise.new_with_change_func(
                self.on_answer_created, None)
            self.webrtc.emit("create-answer", None, promise)

    def on_candidate(self, w, mline, cand):
        self.cand_file.write("%d %s\n" % (mline, cand))

    def on_gathering(self, w, pspec):
        state = w.get_property("ice-gathering-state")
        self.events.append([self.now(), "gathering-" + state.value_nick])
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.cand_file.write("end\n")

    def poll_peer(self):
        if not self.remote_set:
            try:
                with open(os.path.join(self.dir, self.peer + ".sdp")) as f:
                    text = f.read()
            except OSError:
                return True
            self.set_remote(text)
            self.remote_set = True
        try:
            with open(os.path.join(self.dir, self.peer + ".cands")) as f:
                lines = f.read().split("\n")[:-1]
        except OSError:
            return True
        for line in lines[self.peer_cands_read:]:
            if line == "end":
                if not self.args.no_end_of_candidates:
                    self.webrtc.emit("add-ice-candidate", 0, "")
                continue
            mline, cand = line.split(" ", 1)
            self.webrtc.emit("add-ice-candidate", int(mline), cand)
        self.peer_cands_read = len(lines)
        return True

    # Measurements
    def on_ice_state(self, w, pspec):
        state = w.get_property("ice-connection-state")
        with self.lock:
            self.events.append([self.now(), "ice-" + state.value_nick])
            if state in CONNECTED and self.connected_at is None:
                self.connected_at = self.now()

    def on_deep_added(self, pipeline, sub_bin, elem):
        factory = elem.get_factory()
        if factory and factory.get_name() == "srtpdec":
            pad = elem.get_static_pad("rtp_src")
            pad.add_probe(Gst.PadProbeType.BUFFER |
                          Gst.PadProbeType.BUFFER_LIST, self.on_first_rtp)

    def on_first_rtp(self, pad, info):
        with self.lock:
            if self.first_rx is None:
                self.first_rx = self.now()
                self.write_file(self.role + ".first",
                                "%.4f\n" % self.first_rx)
        return Gst.PadProbeReturn.REMOVE

    def on_pad_added(self, w, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                      self.on_first_output)
        pad.link(sink.get_static_pad("sink"))

    def on_first_output(self, pad, info):
        if self.first_out is None:
            self.first_out = self.now()
        return Gst.PadProbeReturn.REMOVE

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.errors.append({"time": self.now(), "message": err.message})
            self.loop.quit()

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
        self.write_file(self.role + ".ready", "")
        if not wait_for_go(os.path.join(self.dir, "go")):
            self.errors.append({"time": 0, "message": "no go"})
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(10, self.poll_peer)
        GLib.timeout_add(20, self.check_done)
        self.loop.run()
        with self.lock:
            return {
                "impl": "webrtc",
                "role": self.role,
                "t0_wall": self.t0_wall,
                "connected_at": self.connected_at,
                "first_packet_at": self.first_rx,
                "first_output_at": self.first_out,
                "timed_out": self.timed_out,
                "states": list(self.events),
                "errors": self.errors,
            }


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--role", choices=("a", "b"), required=True)
    p.add_argument("--controlling", action="store_true",
                   help="accepted for symmetry: A offers and controls")
    p.add_argument("--exchange-dir", required=True)
    p.add_argument("--stun")
    p.add_argument("--turn", action="append")
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--no-end-of-candidates", action="store_true")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    Gst.init(None)
    for name in ("webrtcbin", "nicesrc", "opusenc", "dtlssrtpdec"):
        if Gst.ElementFactory.find(name) is None:
            print("webrtc_endpoint: element %s not found" % name,
                  file=sys.stderr)
            return 2
    ep = Endpoint(args)
    result = ep.run()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    # webrtcbin's teardown can stall; the result is written already
    watchdog = threading.Timer(5.0, os._exit, (0,))
    watchdog.daemon = True
    watchdog.start()
    ep.pipeline.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
