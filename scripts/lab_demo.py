#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The main job: one real call per call-flow case, in the network lab.

For each case (direct, NAT, symmetric NAT, UDP blocked) this builds the
lab topology in network namespaces (tests/lab/lab.sh: routers, NAT,
firewall, coturn on the public segment), starts acs-controller on the
lab's public segment on its embedded defaults (self-signed certificate,
token secret, TURN credentials for coturn), and places a call from alice
(namespace A) to bob (namespace B) with acs-call: signaling over HTTPS,
ICE with STUN/TURN servers fetched from the controller, SRTP with fresh
SDES keys, Opus. Alice sends a known tone sequence; what bob decodes is
checked against it.

Prints a table (case, path chosen, setup time, first audio, audio
received, loss, jitter, MOS), writes demo-out/summary.json and a plot of
each call's packet rate and jitter over time (demo-out/calls.png and
.svg). Everything the lab started is stopped and removed at the end, also
on failure and on Ctrl-C. Exit status 0 only when every call worked.

Usage (as root): scripts/lab_demo.py [--out DIR] [--duration S]
                 [--cases direct,nat,symmetric,udp-blocked]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import calllab  # noqa: E402

CASES = [
    # (name, lab topology, what the case is)
    ("direct", "direct", "both on one subnet"),
    ("nat", "nat", "each behind its own NAT (STUN)"),
    ("symmetric", "symmetric", "A behind a symmetric NAT (TURN)"),
    ("udp-blocked", "udp-blocked", "A's firewall drops UDP (TURN/TCP)"),
]

# Share of the sent tone segments recognised in the callee's recording
# for the call to count as working
MIN_AUDIO = 0.8


def path_of(j):
    if not j:
        return "-"
    s = "%s/%s -> %s/%s" % (j.get("local_type"), j.get("local_proto"),
                            j.get("remote_type"), j.get("remote_proto"))
    relay = j.get("relay_proto")
    if relay and relay != "none":
        s += " (relay over %s)" % relay
    return s


def fmt(v, spec):
    return spec % v if isinstance(v, (int, float)) else "-"


def run_case(name, topology, out_dir, duration, seq):
    row = {"case": name, "topology": topology, "ok": False}
    with calllab.CallLab(topology, out_dir=os.path.join(out_dir, name),
                         name=name) as lab:
        r = lab.call(name=name, duration=duration, send=seq.path)
    row["caller"], row["callee"] = r.caller, r.callee
    row["path"] = path_of(r.caller)
    row["setup_ms"] = r.caller.get("setup_ms")
    # Both processes report when they started on CLOCK_MONOTONIC, which
    # all namespaces share: the callee's first decoded audio, counted from
    # the start of the caller's command
    try:
        row["first_audio_ms"] = (r.callee["t0_monotonic_ms"] +
                                 r.callee["first_audio_ms"] -
                                 r.caller["t0_monotonic_ms"])
    except (KeyError, TypeError):
        row["first_audio_ms"] = None
    heard = None
    if os.path.exists(r.callee_wav):
        try:
            heard = calllab.detect_sequence(r.callee_wav, seq)
        except Exception as e:  # a truncated or empty recording
            row["analysis_error"] = str(e)
    row["audio_received"] = heard["segment_fraction"] if heard else None
    row["loss_pct"] = r.callee.get("loss_pct")
    row["jitter_ms"] = r.callee.get("jitter_ms")
    row["mos"] = r.callee.get("mos")
    row["series"] = r.series("callee")
    row["ok"] = bool(r.ok() and heard
                     and heard["segment_fraction"] >= MIN_AUDIO)
    if not row["ok"]:
        row["logs"] = r.logs()
    return row


def print_table(rows):
    head = ("case", "path chosen (local -> remote)", "setup", "first audio",
            "audio rx", "loss", "jitter", "MOS", "")
    lines = [head]
    for row in rows:
        lines.append((
            row["case"], row.get("path", "-"),
            fmt(row.get("setup_ms"), "%.0f ms"),
            fmt(row.get("first_audio_ms"), "%.0f ms"),
            fmt(row["audio_received"] * 100
                if row.get("audio_received") is not None else None, "%.0f %%"),
            fmt(row.get("loss_pct"), "%.1f %%"),
            fmt(row.get("jitter_ms"), "%.1f ms"),
            fmt(row.get("mos"), "%.2f"),
            "ok" if row["ok"] else "FAILED"))
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(head))]
    for n, l in enumerate(lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(l, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def plot(rows, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("lab_demo: matplotlib is missing, no plot "
              "(apt-get install python3-matplotlib)", file=sys.stderr)
        return []
    fig, (ax_rate, ax_jit) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
    for row in rows:
        s = row.get("series") or []
        if not s:
            continue
        t = [p["t_call"] for p in s]
        ax_rate.plot(t, [p["rtp_rate"] for p in s], marker=".",
                     label="%s: %s" % (row["case"], row.get("path", "")))
        ax_jit.plot(t, [p["jitter_ms"] for p in s], marker=".")
    ax_rate.set_ylabel("RTP packets/s received")
    ax_rate.set_title("What bob receives, per call (one point per second)")
    ax_rate.legend(fontsize="small", loc="lower right")
    ax_rate.grid(alpha=0.3)
    ax_jit.set_ylabel("interarrival jitter (ms)")
    ax_jit.set_xlabel("seconds since the call was answered")
    ax_jit.grid(alpha=0.3)
    fig.tight_layout()
    paths = [os.path.join(out_dir, "calls.png"),
             os.path.join(out_dir, "calls.svg")]
    for p in paths:
        fig.savefig(p)
    plt.close(fig)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "demo-out"))
    ap.add_argument("--duration", type=float, default=6.0,
                    help="seconds of each call (default 6)")
    ap.add_argument("--cases", default=",".join(c[0] for c in CASES))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("lab_demo: run as root: the lab builds network namespaces",
              file=sys.stderr)
        return 1
    wanted = args.cases.split(",")
    unknown = set(wanted) - {c[0] for c in CASES}
    if unknown:
        print("lab_demo: unknown case(s) %s" % ", ".join(sorted(unknown)),
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    seq = calllab.make_tone_sequence(os.path.join(args.out, "sent.wav"),
                                     args.duration + 2)

    rows = []
    try:
        for name, topology, what in CASES:
            if name not in wanted:
                continue
            print("== %s: %s" % (name, what), flush=True)
            try:
                row = run_case(name, topology, args.out, args.duration, seq)
            except calllab.LabError as e:
                row = {"case": name, "topology": topology, "ok": False,
                       "audio_received": None, "error": str(e)}
            rows.append(row)
            print("   %s, %s" % (row.get("path", "-"),
                                 "ok" if row["ok"] else "FAILED"), flush=True)
    except KeyboardInterrupt:
        print("lab_demo: interrupted; the lab was torn down", file=sys.stderr)
        return 130

    print()
    print_table(rows)
    print()
    for row in rows:
        if not row["ok"]:
            print("--- %s failed: %s" % (row["case"], row.get("error", "")),
                  file=sys.stderr)
            print(row.get("logs", ""), file=sys.stderr)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump([{k: v for k, v in r.items() if k != "logs"}
                   for r in rows], f, indent=1)
    for p in plot(rows, args.out):
        print("plot: %s" % os.path.relpath(p))
    print("recordings, logs and stats: %s/<case>/" %
          os.path.relpath(args.out))
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
