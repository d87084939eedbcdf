#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One end of a benchmark call: acscallbin or webrtcbin, with audio markers.

Both implementations get the same pipeline around the call element:

  audiotestsrc is-live=true samplesperbuffer=960 wave=ticks (a 10 ms
      1 kHz burst every --tick-ms) ! S16LE 48 kHz mono ! CALL
  CALL's decoded audio ! audioconvert ! S16LE 48 kHz mono !
      fakesink sync=true

  acs:    CALL = acscallbin (controller, token, target or auto-answer,
          latency = --latency): Opus encoding and decoding are inside.
  webrtc: CALL = opusenc inband-fec=true dtx=true
          packet-loss-percentage=10 ! rtpopuspay dtx=true ! webrtcbin
          latency=--latency, and rtpopusdepay ! opusdec use-inband-fec=true
          plc=true on its src pad: acscallbin's settings (--plain-decoder:
          opusdec's defaults instead). Signaling through files in
          --exchange-dir (bench/ice/webrtc_endpoint.py, whose Endpoint this
          subclasses): the caller is its role "a" (offers), the callee "b".

Everything is timed with CLOCK_MONOTONIC (time.monotonic_ns, the clock of
GstSystemClock), which every network namespace shares, so the driver
(call_bench.py) can subtract times of different processes:

  first_audio_ns   the first decoded buffer reaching audioconvert (where
                   acs-call probes its first_audio_ms)
  tx_markers       onsets of the bursts sent: the clock time at which the
                   onset sample was captured (base time + running time of
                   the buffer + offset of the sample), from a probe on
                   audiotestsrc's src pad
  rx_markers       onsets in the received audio: the clock time at which
                   fakesink renders the onset sample (base time + running
                   time + the sink's latency + offset), and the time
                   measured in the handoff, which is later if the buffer
                   came late

The endpoint writes R.ready (R: caller or callee) in --exchange-dir once it
can take a call (acs: the controller's event stream is connected; webrtc:
PLAYING), and ends --duration seconds after its first decoded audio, at the
end of the call, or after --timeout. Results: JSON in --out.
"""

import argparse
import json
import os
import sys
import threading
import time

import numpy as np

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
from gi.repository import GLib, Gst, GstBase  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ice"))
import webrtc_endpoint  # noqa: E402

RATE = 48000
# Onsets: a sample above THRESHOLD after at least HOLD_S of samples below
# it. The bursts have amplitude 0.5 (16384); Opus keeps them within a few
# per cent, and its packet-loss concealment stays far below.
THRESHOLD = 4000
HOLD_S = 0.1

SOURCE = ("audiotestsrc name=src is-live=true samplesperbuffer=960 "
          "wave=ticks freq=1000 sine-periods-per-tick=10 volume=0.5 "
          "tick-interval=%d")
RAW_CAPS = "audio/x-raw,format=S16LE,rate=48000,channels=1"
OUTPUT = ("audioconvert ! %s ! fakesink name=out sync=true "
          "signal-handoffs=true async=false" % RAW_CAPS)


class Onsets:
    """Finds burst onsets in a stream of S16 mono samples."""

    def __init__(self):
        self.pos = 0
        self.last_loud = -10 * RATE

    def feed(self, buf):
        """Sample offsets (within @buf) of the onsets it holds."""
        data = np.frombuffer(buf.extract_dup(0, buf.get_size()),
                             dtype="<i2")
        loud = np.nonzero(np.abs(data.astype(np.int32)) > THRESHOLD)[0]
        found = []
        if loud.size:
            glob = loud + self.pos
            gaps = np.diff(np.concatenate(([self.last_loud], glob)))
            found = [int(i) for i in loud[gaps > HOLD_S * RATE]]
            self.last_loud = int(glob[-1])
        self.pos += data.size
        return found


def running_time(pad, pts):
    ev = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
    if ev is None or pts == Gst.CLOCK_TIME_NONE:
        return None
    return ev.parse_segment().to_running_time(Gst.Format.TIME, pts)


class Markers:
    """Marker and first-audio bookkeeping shared by both implementations."""

    def setup_markers(self, src):
        self.lock = threading.Lock()
        self.tx = []
        self.rx = []
        self.tx_lag = []
        self.first_audio_ns = None
        self.tx_onsets = Onsets()
        self.rx_onsets = Onsets()
        self.src = src
        self.src.get_static_pad("src").add_probe(
            Gst.PadProbeType.BUFFER, self.on_tx_buffer)

    def on_tx_buffer(self, pad, info):
        buf = info.get_buffer()
        now = time.monotonic_ns()
        rt = running_time(pad, buf.pts)
        if rt is None:
            return Gst.PadProbeReturn.OK
        start = self.src.get_base_time() + rt
        # when the buffer left the source, after the capture of its last
        # sample: about 0 for a capture device, -duration for audiotestsrc
        lag = now - (start + buf.duration)
        offsets = self.tx_onsets.feed(buf)
        with self.lock:
            self.tx_lag.append(lag)
            for off in offsets:
                self.tx.append(start + off * Gst.SECOND // RATE)
        return Gst.PadProbeReturn.OK

    def attach_output(self, pipeline, srcpad):
        """Links @srcpad (decoded audio) to OUTPUT."""
        if self.args.fec_latency_ms is not None:
            srcpad.add_probe(Gst.PadProbeType.QUERY_UPSTREAM |
                             Gst.PadProbeType.PULL, self.on_latency_query)
        out = Gst.parse_bin_from_description(OUTPUT, True)
        pipeline.add(out)
        sink = out.get_static_pad("sink")
        sink.add_probe(Gst.PadProbeType.BUFFER, self.on_first_audio)
        self.sink = out.get_by_name("out")
        self.sink.connect("handoff", self.on_handoff)
        srcpad.link(sink)
        out.sync_state_with_parent()
        # a sink added to a playing pipeline has no latency yet: without
        # this it would render with none, as soon as buffers come
        GLib.idle_add(self.recalculate, pipeline)

    def recalculate(self, pipeline):
        pipeline.recalculate_latency()
        return False

    def on_latency_message(self, bus, msg):
        """As gst-launch does: a LATENCY message asks for it again."""
        if msg.type == Gst.MessageType.LATENCY:
            self.recalculate(self.pipeline)

    def on_latency_query(self, pad, info):
        """--fec-latency-ms: opusdec announces 120 ms (the longest Opus
        packet) when use-inband-fec is on; it holds one packet back, 20 ms
        here. Replace the 120 ms by the given value in the answer."""
        q = info.get_query()
        if q.type == Gst.QueryType.LATENCY:
            live, lo, hi = q.parse_latency()
            cut = (120 - self.args.fec_latency_ms) * Gst.MSECOND
            q.set_latency(live, max(0, lo - cut), hi)
        return Gst.PadProbeReturn.OK

    def on_first_audio(self, pad, info):
        with self.lock:
            if self.first_audio_ns is None:
                self.first_audio_ns = time.monotonic_ns()
        return Gst.PadProbeReturn.REMOVE

    def on_handoff(self, sink, buf, pad):
        now = time.monotonic_ns()
        offsets = self.rx_onsets.feed(buf)
        if not offsets:
            return
        rt = running_time(pad, buf.pts)
        if rt is None:
            return
        render = (sink.get_base_time() + rt +
                  GstBase.BaseSink.get_latency(sink) +
                  GstBase.BaseSink.get_render_delay(sink))
        with self.lock:
            for off in offsets:
                d = off * Gst.SECOND // RATE
                self.rx.append([render + d, now + d])

    def marker_result(self):
        with self.lock:
            lag = sorted(self.tx_lag)
            return {
                "first_audio_ns": self.first_audio_ns,
                "tx_markers": list(self.tx),
                "rx_markers": list(self.rx),
                "tx_push_lag_ms_median":
                    lag[len(lag) // 2] / 1e6 if lag else None,
                "rx_sink_latency_ms":
                    GstBase.BaseSink.get_latency(self.sink) / 1e6
                    if getattr(self, "sink", None) else None,
            }


def write_flag(directory, name):
    path = os.path.join(directory, name)
    with open(path + ".tmp", "w"):
        pass
    os.rename(path + ".tmp", path)


class AcsCall(Markers):
    def __init__(self, args):
        self.args = args
        self.errors = []
        self.states = []
        self.t0_ns = time.monotonic_ns()
        self.ended = False
        desc = (SOURCE % (args.tick_ms * 1000000) + " ! " + RAW_CAPS +
                " ! acscallbin name=call")
        self.pipeline = Gst.parse_launch(desc)
        self.setup_markers(self.pipeline.get_by_name("src"))
        call = self.call = self.pipeline.get_by_name("call")
        with open(args.token_file) as f:
            token = f.read().strip()
        call.set_property("controller", args.controller)
        call.set_property("token", token)
        call.set_property("latency", args.latency)
        if args.pinned_cert:
            call.set_property("tls-pinned-certificate", args.pinned_cert)
        if args.ca_file:
            call.set_property("tls-ca-file", args.ca_file)
        if args.target:
            call.set_property("target", args.target)
        else:
            call.set_property("auto-answer", True)
        for name in ("stun_server", "turn_server", "interfaces"):
            value = getattr(args, name)
            if value:
                call.set_property(name.replace("_", "-"), value)
        call.connect("pad-added", self.on_pad_added)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        bus.connect("message", self.on_latency_message)

    def on_pad_added(self, call, pad):
        if pad.get_direction() == Gst.PadDirection.SRC:
            self.attach_output(self.pipeline, pad)

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            self.errors.append(err.message)
            self.loop.quit()
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            name = s.get_name()
            if name == "acs-signal-stream":
                if (s.get_string("state") == "connected"
                        and not self.args.target):
                    write_flag(self.args.exchange_dir, self.args.role +
                               ".ready")
            elif name == "acs-call-state":
                state = s.get_string("state")
                self.states.append([time.monotonic_ns(), state])
                if state == "ended":
                    self.ended = True
                    self.loop.quit()
            elif name == "acs-ice-selected-pair":
                self.states.append([time.monotonic_ns(), "pair %s/%s-%s" % (
                    s.get_string("local-type"), s.get_string("transport"),
                    s.get_string("remote-type"))])

    def run(self):
        self.loop = GLib.MainLoop()
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(20, check_done, self)
        self.loop.run()
        if not self.ended:
            self.call.emit("hang-up")
            # let the hang-up reach the controller
            ctx = self.loop.get_context()
            end = time.monotonic() + 1.0
            while not self.ended and time.monotonic() < end:
                ctx.iteration(False)
                time.sleep(0.01)
        return dict(self.marker_result(), impl="acs", role=self.args.role,
                    t0_ns=self.t0_ns, states=self.states, errors=self.errors)


def check_done(ep):
    now = time.monotonic_ns()
    if now - ep.t0_ns > ep.args.timeout * 1e9:
        ep.errors.append("timeout")
        ep.loop.quit()
        return False
    first = ep.first_audio_ns
    if first is not None and now - first > ep.args.duration * 1e9:
        ep.loop.quit()
        return False
    return True


class WebrtcCall(webrtc_endpoint.Endpoint, Markers):
    def __init__(self, args):
        self.t0_ns = time.monotonic_ns()
        webrtc_endpoint.Endpoint.__init__(self, args)
        # Reshape the parent's pipeline as described above
        src = None
        for elem in self.pipeline.iterate_elements():
            name = elem.get_factory().get_name()
            if name == "audiotestsrc":
                src = elem
                for k, v in (("wave", "ticks"), ("freq", 1000.0),
                             ("sine-periods-per-tick", 10),
                             ("volume", 0.5),
                             ("tick-interval", args.tick_ms * 1000000)):
                    Gst.util_set_object_arg(elem, k, str(v))
            elif name == "opusenc":
                for k, v in (("inband-fec", "true"), ("dtx", "true"),
                             ("packet-loss-percentage", "10")):
                    Gst.util_set_object_arg(elem, k, v)
            elif name == "rtpopuspay":
                Gst.util_set_object_arg(elem, "dtx", "true")
            elif name == "capsfilter":
                caps = elem.get_property("caps")
                if caps.get_structure(0).get_name() == "audio/x-raw":
                    elem.set_property("caps", Gst.Caps.from_string(RAW_CAPS))
        self.webrtc.set_property("latency", args.latency)
        self.setup_markers(src)
        self.pipeline.get_bus().connect("message", self.on_latency_message)

    def on_pad_added(self, w, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        dec = "rtpopusdepay ! opusdec"
        if not self.args.plain_decoder:
            dec += " use-inband-fec=true plc=true"
        bin_ = Gst.parse_bin_from_description(dec, True)
        self.pipeline.add(bin_)
        pad.link(bin_.get_static_pad("sink"))
        self.attach_output(self.pipeline, bin_.get_static_pad("src"))
        bin_.sync_state_with_parent()

    def run(self):
        self.loop = GLib.MainLoop()
        self.t0 = time.monotonic()
        self.pipeline.set_state(Gst.State.PLAYING)
        write_flag(self.dir, self.args.call_role + ".ready")
        GLib.timeout_add(self.args.poll_ms, self.poll_peer)
        GLib.timeout_add(20, check_done, self)
        self.loop.run()
        return dict(self.marker_result(), impl="webrtc",
                    role=self.args.call_role, t0_ns=self.t0_ns,
                    states=self.events, errors=self.errors)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--impl", choices=("acs", "webrtc"), required=True)
    p.add_argument("--role", choices=("caller", "callee"), required=True)
    p.add_argument("--exchange-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--latency", type=int, default=60,
                   help="jitter buffer, ms (default 60)")
    p.add_argument("--duration", type=float, default=1.0,
                   help="seconds after the first decoded audio")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--tick-ms", type=int, default=400,
                   help="interval of the bursts, ms")
    p.add_argument("--controller", help="acs: https://host:port")
    p.add_argument("--token-file", help="acs: file holding the token")
    p.add_argument("--pinned-cert", help="acs: the controller's certificate")
    p.add_argument("--ca-file", help="acs: the controller's CA")
    p.add_argument("--target", help="acs: user to call (caller)")
    p.add_argument("--stun-server", help="acs: instead of the controller's")
    p.add_argument("--turn-server", help="acs: instead of the controller's")
    p.add_argument("--interfaces", help="acs: addresses ICE may use")
    p.add_argument("--stun", help="webrtc: stun:// URI")
    p.add_argument("--turn", action="append", help="webrtc: turn:// URI")
    p.add_argument("--plain-decoder", action="store_true",
                   help="webrtc: opusdec without in-band FEC")
    p.add_argument("--fec-latency-ms", type=int,
                   help="experiment for acscallbin before 4a326dd: the "
                   "latency its FEC decoder announces instead of 120 ms")
    p.add_argument("--poll-ms", type=int, default=10,
                   help="webrtc: signaling file poll interval")
    args = p.parse_args()

    Gst.init(None)
    if args.impl == "acs":
        ep = AcsCall(args)
    else:
        # the parent's roles: a offers (the caller), b answers
        args.call_role = args.role
        args.role = "a" if args.role == "caller" else "b"
        args.no_end_of_candidates = False
        ep = WebrtcCall(args)
    result = ep.run()
    with open(args.out, "w") as f:
        json.dump(result, f)
    # webrtcbin's teardown can stall; the result is written already
    watchdog = threading.Timer(5.0, os._exit, (0,))
    watchdog.daemon = True
    watchdog.start()
    ep.pipeline.set_state(Gst.State.NULL)
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
