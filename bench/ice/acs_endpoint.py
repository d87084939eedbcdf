#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One short call endpoint with acsicebin, for the connect-time benchmark.

The endpoint of the lab tests (tests/lab/lab_endpoint.py: same pipeline,
same ICE set-up, same file exchange), changed for timing:
  - start barrier: after READY the endpoint writes R.ready in the exchange
    dir and goes to PLAYING only when the file "go" appears, so both sides
    of a call start within a few ms of each other (Python start-up is not
    measured);
  - short calls: the endpoint stops 1 s after its first received packet
    once the peer has received one too (file R.first), or after --timeout;
  - --element-prop NAME=VALUE sets one of acsicebin's properties.

Times are seconds from PLAYING: connected_at (first acs-ice-state
"connected"), first_packet_at (first decrypted RTP packet).

Files written to the exchange dir by role R, besides lab_endpoint.py's:
  R.ready   the pipeline is in READY
  R.first   R received its first packet
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                "tests", "lab"))
import lab_endpoint  # noqa: E402
from lab_endpoint import GLib, Gst  # noqa: E402

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


class Endpoint(lab_endpoint.Endpoint):
    def __init__(self, args):
        # what lab_endpoint.Endpoint reads, at its defaults
        for name in ("ice_tcp", "no_ice_udp", "relay_only",
                     "keep_running_on_error"):
            setattr(args, name, False)
        args.liveness_timeout = args.disconnected_timeout = None
        super().__init__(args)
        self.timed_out = False
        for item in args.element_prop or []:
            name, value = item.split("=", 1)
            self.ice.set_property(name, parse_value(value))

    def now(self):
        return round(time.monotonic() - self.t0, 4) if self.t0 else 0.0

    def write_file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def on_rx(self, sink, buf, pad):
        if self.first_rx is None:
            self.first_rx = self.now()
            self.write_file(self.role + ".first", "%.4f\n" % self.first_rx)
        self.received += 1

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
        self.write_creds()
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
