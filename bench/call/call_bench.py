#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Call setup time and added audio latency: acscallbin against webrtcbin.

Run as root (network namespaces). Issue 6, section 5. For each topology
the lab of tests/lab/calllab.py is brought up once (acs-controller on the
lab's public segment), then --runs calls of each kind alternate:

  acs-call   the real command-line client (tools/call): `acs-call --answer`
             in B, waiting for a call, then `acs-call --call bob` in A,
             through the in-lab controller (calllab.CallLab.call).
  webrtc     bench/call/call_endpoint.py --impl webrtc in B (callee,
             answers) and then in A (caller, offers), signaling through
             files polled every 10 ms, STUN and TURN (UDP and TCP) from
             the lab, as the controller hands them to acs-call.
  acs-py     (--with-acs-py) call_endpoint.py --impl acs: acscallbin in
             the same Python harness as webrtc, to separate the start-up
             of a Python process from the call itself.

Setup time: from the moment the caller's command is started (the driver's
CLOCK_MONOTONIC just before it spawns `ip netns exec NS_A ...`) until the
callee's first decoded audio buffer (CLOCK_MONOTONIC in the callee). The
callee is already running and waiting. acs-call prints its times relative
to its own start (after option parsing and gst_init), and that start on
CLOCK_MONOTONIC (t0_monotonic_ms) in its summary. For acs-call versions
without it the driver follows both logs as they are written and places
that start on the shared clock as the minimum of (time a progress line was
read - the time it prints), within about 2 ms (the poll period).

Latency (--latency-calls, direct topology): call_endpoint.py on both
sides sends a 10 ms 1 kHz burst every 400 ms; the added latency of a
marker is the clock time at which the receiving fakesink (sync=true)
renders its onset minus the clock time at which the sender captured it.
Each call lasts --latency-seconds after first audio; markers of the first
--warmup seconds are left out. Implementations: acs, webrtc (same Opus
settings as acscallbin: encoder FEC and DTX, decoder FEC and PLC) and
webrtc-plain (opusdec's defaults), all at --latency ms of jitter buffer.
(acs-py-fec20, not run by default: acscallbin with its decoder's announced
latency cut from 120 to 20 ms by a query probe outside the bin, the
experiment that led to 4a326dd; see call_endpoint.py --fec-latency-ms.)

Machine-readable results: JSON lines starting with "{" on stdout, one per
call and one per topology/implementation; then the tables. Progress on
stderr. Exit 1 if a target is missed or a call failed.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import calllab  # noqa: E402

PYTHON = "/usr/bin/python3"
ENDPOINT = os.path.join(HERE, "call_endpoint.py")
TOPOLOGIES = ("direct", "nat", "symmetric", "udp-blocked", "lossy")
UDP_TOPOLOGIES = ("direct", "nat", "symmetric", "lossy")
SETUP_TARGET_MS = 1000.0
# add "acs-py-fec20" to measure an acscallbin from before 4a326dd with the
# latency its decoder announces corrected from outside the bin
LATENCY_IMPLS = ("acs-py", "webrtc", "webrtc-plain")
PROGRESS = re.compile(r"^\[\s*([0-9.]+) ms\]")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


class LogClock(threading.Thread):
    """Follows an acs-call log as it grows and estimates the CLOCK_MONOTONIC
    time (ns) of the process's own start, from which it prints "[ x ms]"."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.t0_ns = None

    def run(self):
        f, rest = None, ""
        while True:
            stopping = self.stop.is_set()
            if f is None:
                try:
                    f = open(self.path, errors="replace")
                except OSError:
                    pass
            if f is not None:
                chunk = f.read()
                now = time.monotonic_ns()
                lines = (rest + chunk).split("\n")
                rest = lines.pop()
                for line in lines:
                    m = PROGRESS.match(line)
                    if m:
                        t0 = now - int(float(m.group(1)) * 1e6)
                        if self.t0_ns is None or t0 < self.t0_ns:
                            self.t0_ns = t0
            if stopping:
                break
            time.sleep(0.002)
        if f is not None:
            f.close()


class BenchLab(calllab.CallLab):
    """calllab's lab, noting when each acs-call process was started."""

    def _spawn(self, node, role, args, log_path):
        self.spawned_ns = getattr(self, "spawned_ns", {})
        self.spawned_ns[role] = time.monotonic_ns()
        return super()._spawn(node, role, args, log_path)


# acs-call progress lines that mark the steps of a call set-up
MILESTONES = (("caller", "controller connected", "connected"),
              ("caller", "call calling", "calling"),
              ("callee", "call ringing", "ringing"),
              ("callee", "call active", "answered"),
              ("caller", "call active", "active"),
              ("callee", "ICE connected", "ice"))


def milestones(row, logs, t0s, t_cmd):
    """ms from the caller's command start to each step in MILESTONES"""
    for role, text, key in MILESTONES:
        if t0s[role] is None:
            continue
        try:
            with open(logs[role], errors="replace") as f:
                for line in f:
                    m = PROGRESS.match(line)
                    if m and text in line:
                        row["at_" + key] = ms(t0s[role] - t_cmd) + \
                            float(m.group(1))
                        break
        except OSError:
            pass


def ms(ns):
    return None if ns is None else ns / 1e6


def acs_call_run(lab, name, opts):
    clocks = []

    def during(lab_, r):
        for path in (r.caller_log, r.callee_log):
            c = LogClock(path)
            c.start()
            clocks.append(c)

    r = lab.call(name=name, duration=opts.call_seconds,
                 caller_args=["--latency", str(opts.latency)],
                 callee_args=["--latency", str(opts.latency)],
                 stats=False, during=during, timeout=30)
    for c in clocks:
        c.stop.set()
        c.join()
    row = {"impl": "acs-call", "ok": r.ok()}
    t_cmd = lab.spawned_ns.get("caller")
    caller_t0, callee_t0 = clocks[0].t0_ns, clocks[1].t0_ns
    # acs-call's own start on CLOCK_MONOTONIC, when it prints it: exact
    exact = [s.get("t0_monotonic_ms") for s in (r.caller, r.callee)]
    if None not in exact:
        row["log_clock_error_ms"] = [
            None if t is None else ms(t - int(e * 1e6))
            for t, e in zip((caller_t0, callee_t0), exact)]
        caller_t0, callee_t0 = [int(e * 1e6) for e in exact]
    fa = r.callee.get("first_audio_ms")
    if fa is not None and callee_t0 is not None and t_cmd is not None:
        row["setup_ms"] = ms(callee_t0 - t_cmd) + fa
    else:
        row["ok"] = False
    if caller_t0 is not None and t_cmd is not None:
        row["process_start_ms"] = ms(caller_t0 - t_cmd)
        if r.caller.get("setup_ms") is not None:
            row["active_ms"] = row["process_start_ms"] + r.caller["setup_ms"]
    if t_cmd is not None:
        milestones(row, {"caller": r.caller_log, "callee": r.callee_log},
                   {"caller": caller_t0, "callee": callee_t0}, t_cmd)
    row["caller_first_audio_ms"] = r.caller.get("first_audio_ms")
    row["path"] = "%s/%s-%s" % (r.caller.get("local_type"),
                                r.caller.get("local_proto"),
                                r.caller.get("remote_type"))
    if not row["ok"]:
        row["log"] = r.caller_log
        row["error"] = r.caller.get("error") or r.callee.get("error")
    return row


def endpoint_run(lab, impl, name, opts, duration, latency_run=False):
    """One call between two call_endpoint.py processes"""
    xdir = os.path.join(opts.out_dir, lab.topology, name)
    shutil.rmtree(xdir, ignore_errors=True)
    os.makedirs(xdir)
    base = ["--exchange-dir", xdir, "--latency", str(opts.latency),
            "--duration", str(duration), "--timeout", "30"]
    env = lab.env_os
    if impl.startswith("acs-py"):
        kind = "acs"
        per_role = {}
        for role, user in (("caller", "alice"), ("callee", "bob")):
            tok = os.path.join(xdir, user + ".token")
            fd = os.open(tok, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(lab.token(user))
            per_role[role] = ["--controller", lab.controller_url,
                              "--ca-file", lab.ca_file, "--token-file", tok]
        per_role["caller"] += ["--target", "bob"]
        if impl == "acs-py-fec20":
            for v in per_role.values():
                v += ["--fec-latency-ms", "20"]
    else:
        kind = "webrtc"
        servers = ["--stun", lab.env["LAB_STUN_URI"],
                   "--turn", lab.env["LAB_TURN_URI_UDP"],
                   "--turn", lab.env["LAB_TURN_URI_TCP"]]
        if lab.topology == "direct":
            servers = []
        per_role = {"caller": list(servers), "callee": list(servers)}
        if impl == "webrtc-plain":
            for v in per_role.values():
                v.append("--plain-decoder")
    procs, outs = {}, {}
    t_cmd = None
    try:
        for role, node in (("callee", "b"), ("caller", "a")):
            outs[role] = os.path.join(xdir, role + ".json")
            cmd = ["ip", "netns", "exec", lab.ns(node), PYTHON, ENDPOINT,
                   "--impl", kind, "--role", role, "--out",
                   outs[role]] + base + per_role[role]
            penv = dict(env, GST_REGISTRY=os.path.join(
                lab.lab_dir, "registry-py-%s.bin" % node))
            logf = open(os.path.join(xdir, role + ".log"), "w")
            if role == "caller":
                t_cmd = time.monotonic_ns()
            procs[role] = subprocess.Popen(cmd, env=penv, stdout=logf,
                                           stderr=subprocess.STDOUT)
            logf.close()
            if role == "callee":
                ready = os.path.join(xdir, "callee.ready")
                end = time.monotonic() + 20
                while not os.path.exists(ready):
                    if procs["callee"].poll() is not None or \
                            time.monotonic() > end:
                        raise calllab.LabError("%s callee never ready (%s)"
                                               % (impl, xdir))
                    time.sleep(0.005)
        for p in procs.values():
            try:
                p.wait(timeout=45)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
    res = {}
    for role, path in outs.items():
        try:
            with open(path) as f:
                res[role] = json.load(f)
        except (OSError, ValueError):
            res[role] = None
    row = {"impl": impl, "ok": all(res.get(r) and not res[r]["errors"]
                                   for r in ("caller", "callee"))}
    callee, caller = res.get("callee"), res.get("caller")
    if callee and callee.get("first_audio_ns"):
        row["setup_ms"] = ms(callee["first_audio_ns"] - t_cmd)
    else:
        row["ok"] = False
    if caller:
        row["process_start_ms"] = ms(caller["t0_ns"] - t_cmd)
    if latency_run and caller and callee:
        row["latency"] = {
            "a_to_b": marker_latencies(caller, callee, opts.warmup),
            "b_to_a": marker_latencies(callee, caller, opts.warmup),
            "sink_latency_ms": callee.get("rx_sink_latency_ms"),
            "tx_push_lag_ms": median([caller.get("tx_push_lag_ms_median"),
                                      callee.get("tx_push_lag_ms_median")]),
        }
    if not row["ok"]:
        row["dir"] = xdir
        row["errors"] = [(res.get(r) or {}).get("errors")
                         for r in ("caller", "callee")]
    return row


def marker_latencies(sender, receiver, warmup):
    """Latency (ms) of each received marker after `warmup` s: its render
    time minus the send time of the latest marker sent before it, and the
    same with the time measured in the sink's handoff"""
    tx = sorted(sender["tx_markers"])
    if not tx or receiver["first_audio_ns"] is None:
        return {"n": 0}
    start = receiver["first_audio_ns"] + warmup * 1e9
    rendered, measured = [], []
    for render, seen in receiver["rx_markers"]:
        if render < start:
            continue
        prev = [t for t in tx if t < render]
        if not prev:
            continue
        rendered.append((render - prev[-1]) / 1e6)
        measured.append((seen - prev[-1]) / 1e6)
    return {"n": len(rendered), "rendered_ms": rendered,
            "handoff_ms": measured, "sent": len(tx)}


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, width=8, digits=0):
    s = "-" if v is None else "%.*f" % (digits, v)
    return s.rjust(width)


def ratio(a, b):
    return None if a is None or not b else a / b


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--topologies", default=",".join(TOPOLOGIES))
    p.add_argument("--latency", type=int, default=60,
                   help="jitter buffer of every call, ms")
    p.add_argument("--latency-calls", type=int, default=3,
                   help="latency calls per implementation (direct)")
    p.add_argument("--latency-seconds", type=float, default=12.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--call-seconds", type=float, default=3.0,
                   help="length of a setup-time call once active")
    p.add_argument("--with-acs-py", action="store_true",
                   help="also time acscallbin in the Python harness")
    p.add_argument("--build-dir", default=os.environ.get("BUILD_DIR"))
    p.add_argument("--out-dir", default="/tmp/acs-callbench-%d" %
                   os.getpid())
    opts = p.parse_args()
    if os.geteuid() != 0:
        log("call_bench: must run as root (network namespaces)")
        return 1
    os.makedirs(opts.out_dir, exist_ok=True)
    impls = ["acs-call", "webrtc"] + (["acs-py"] if opts.with_acs_py
                                      else [])
    rows = []
    started = time.monotonic()
    for topology in opts.topologies.split(","):
        try:
            with BenchLab(topology, out_dir=os.path.join(opts.out_dir,
                                                         topology),
                          name="cb" + topology[:3],
                          build_dir=opts.build_dir) as lab:
                for i in range(opts.runs):
                    order = impls if i % 2 == 0 else impls[::-1]
                    for impl in order:
                        name = "%s-%d" % (impl, i)
                        if impl == "acs-call":
                            row = acs_call_run(lab, name, opts)
                        else:
                            row = endpoint_run(lab, impl, name, opts,
                                               opts.call_seconds)
                        row.update(topology=topology, run=i,
                                   bench="call-setup-run")
                        rows.append(row)
                        emit(row)
                        log("%-11s %-12s run %2d: setup %s ms (process "
                            "start %s) %s" % (
                                topology, impl, i,
                                fmt(row.get("setup_ms"), 0),
                                fmt(row.get("process_start_ms"), 0),
                                "" if row["ok"] else "FAILED %s" % (
                                    row.get("dir") or row.get("log"))))
                if topology == "direct":
                    for i in range(opts.latency_calls):
                        for impl in LATENCY_IMPLS:
                            row = endpoint_run(lab, impl, "lat-%s-%d" % (
                                impl, i), opts, opts.latency_seconds,
                                latency_run=True)
                            row.update(topology=topology, run=i,
                                       bench="call-latency-run")
                            rows.append(row)
                            emit(row)
                            lat = row.get("latency") or {}
                            log("latency %-12s run %d: a->b %s b->a %s "
                                "ms (%s markers) %s" % (
                                    impl, i,
                                    fmt(median((lat.get("a_to_b") or {})
                                               .get("rendered_ms", [])),
                                        0, 1),
                                    fmt(median((lat.get("b_to_a") or {})
                                               .get("rendered_ms", [])),
                                        0, 1),
                                    (lat.get("a_to_b") or {}).get("n"),
                                    "" if row["ok"] else "FAILED"))
        except calllab.LabError as e:
            log("%s: %s" % (topology, e))
    elapsed = time.monotonic() - started
    return report(rows, opts, impls, elapsed)


def report(rows, opts, impls, elapsed):
    failed = False
    setup = {}
    for r in rows:
        if r["bench"] != "call-setup-run":
            continue
        s = setup.setdefault((r["topology"], r["impl"]), {"ok": 0, "n": 0,
                                                           "setup": [],
                                                           "start": []})
        s["n"] += 1
        if r["ok"]:
            s["ok"] += 1
            s["setup"].append(r.get("setup_ms"))
            s["start"].append(r.get("process_start_ms"))
    topologies = []
    for r in rows:
        if r["topology"] not in topologies:
            topologies.append(r["topology"])
    print()
    print("== Call setup, ms from starting the caller's command to the "
          "callee's first decoded audio, median of N ==")
    head = "%-11s" % "topology"
    for impl in impls:
        head += " | %-8s %5s %6s" % (impl, "ok", "start")
    head += " | acs/webrtc | target"
    print(head)
    for topology in topologies:
        line = "%-11s" % topology
        med = {}
        for impl in impls:
            s = setup.get((topology, impl), {"ok": 0, "n": 0, "setup": [],
                                             "start": []})
            med[impl] = median(s["setup"])
            line += " | %8s %2d/%-2d %6s" % (fmt(med[impl], 8),
                                             s["ok"], s["n"],
                                             fmt(median(s["start"]), 6))
            if s["ok"] < s["n"]:
                failed = True
        rr = ratio(med.get("acs-call"), med.get("webrtc"))
        line += " | %10s" % fmt(rr, 10, 2)
        target = ""
        if topology in UDP_TOPOLOGIES:
            ok = med.get("acs-call") is not None and \
                med["acs-call"] < SETUP_TARGET_MS
            target = "< 1 s %s" % ("PASS" if ok else "FAIL")
            failed |= not ok
        line += " | %s" % target
        print(line)
        emit({"bench": "call-setup", "topology": topology,
              **{impl + "_setup_ms": med[impl] for impl in impls},
              "ratio_acs_webrtc": rr})
    print("(start: median ms from starting the caller's command to its "
          "process's own clock start: exec, Python/GStreamer init)")

    print()
    print("== acs-call: where the set-up time goes, ms from the caller's "
          "command start, medians of the successful calls ==")
    keys = ["process_start_ms"] + ["at_" + k for _, _, k in MILESTONES] + \
        ["setup_ms"]
    print("%-11s %6s %9s %7s %7s %8s %6s %6s %6s" % (
        "topology", "start", "connected", "calling", "ringing",
        "answered", "active", "ice", "audio"))
    for topology in topologies:
        ok_rows = [r for r in rows if r["bench"] == "call-setup-run" and
                   r["impl"] == "acs-call" and r["topology"] == topology
                   and r["ok"]]
        meds = [median([r.get(k) for r in ok_rows]) for k in keys]
        print("%-11s %6s %9s %7s %7s %8s %6s %6s %6s" % ((topology,) + tuple(
            fmt(m, 0) for m in meds)))
    print("(connected, calling, active: the caller's acssignal stream up, "
          "call placed, answer received; ringing, answered, ice: at the "
          "callee; audio: the callee's first decoded audio)")

    lat = {}
    for r in rows:
        if r["bench"] != "call-latency-run" or not r.get("latency"):
            continue
        d = lat.setdefault(r["impl"], {"a_to_b": [], "b_to_a": [],
                                       "handoff": [], "sink": [], "lag": [],
                                       "calls": 0, "ok": 0})
        d["calls"] += 1
        d["ok"] += bool(r["ok"])
        for k in ("a_to_b", "b_to_a"):
            d[k] += r["latency"][k].get("rendered_ms", [])
            d["handoff"] += r["latency"][k].get("handoff_ms", [])
        d["sink"].append(r["latency"].get("sink_latency_ms"))
        d["lag"].append(r["latency"].get("tx_push_lag_ms"))
    if lat:
        print()
        print("== Added end-to-end audio latency, direct, jitter buffer "
              "%d ms: marker capture at the sender to render at the "
              "receiver, ms ==" % opts.latency)
        print("%-13s %5s %8s %8s %8s %8s %8s %6s %6s" % (
            "impl", "calls", "markers", "median", "a->b", "b->a",
            "handoff", "sink", "push"))
        med = {}
        for impl, d in lat.items():
            both = d["a_to_b"] + d["b_to_a"]
            med[impl] = median(both)
            print("%-13s %2d/%-2d %8d %8s %8s %8s %8s %6s %6s" % (
                impl, d["ok"], d["calls"], len(both), fmt(med[impl], 8, 1),
                fmt(median(d["a_to_b"]), 8, 1),
                fmt(median(d["b_to_a"]), 8, 1),
                fmt(median(d["handoff"]), 8, 1), fmt(median(d["sink"]), 6),
                fmt(median(d["lag"]), 6, 1)))
            emit({"bench": "call-latency", "impl": impl,
                  "markers": len(both), "median_ms": med[impl],
                  "a_to_b_ms": median(d["a_to_b"]),
                  "b_to_a_ms": median(d["b_to_a"]),
                  "handoff_ms": median(d["handoff"]),
                  "sink_latency_ms": median(d["sink"])})
        for acs, ref, target in (("acs-py", "webrtc", True),
                                 ("acs-py", "webrtc-plain", True),
                                 ("acs-py-fec20", "webrtc-plain", False)):
            if acs not in med or ref not in med:
                continue
            rr = ratio(med[acs], med[ref])
            ok = rr is not None and rr <= 1.0
            print("%s / %s %s: added latency no more than webrtcbin's %s%s"
                  % (acs, ref, fmt(rr, 0, 2), "PASS" if ok else "FAIL",
                     "" if target else " (experiment, not the bin)"))
            if target:
                failed |= not ok
        print("(sink: the receiving pipeline's latency, ms; handoff: the "
              "same markers timed in fakesink's handoff; push: when the "
              "source pushed its buffers, ms after their capture time "
              "(negative: before, audiotestsrc pushes at the buffer's "
              "start))")
    print("elapsed %.0f s" % elapsed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
