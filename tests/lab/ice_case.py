#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lab test: one ICE call between namespaces A and B, checked for real.

Usage: ice_case.py CASE   (CASE: direct, nat, symmetric, udp-blocked,
                           ice-tcp, lossy, turn-killed, restart)

Builds the lab topology of the case with tests/lab/lab.sh, runs
tests/lab/lab_endpoint.py in A (controlling) and in B, both sending and
receiving SRTP-protected Opus through acsicebin, then asserts:
  - the selected pair the case calls for (host/udp, srflx-prflx/udp without
    relay, relay over UDP, a TCP leg);
  - the path, independently of what the endpoints report, from the
    routers' iptables packet counters;
  - media both ways for the whole call, without gaps (but for `lossy`);
  - turn-killed: the failure is on A's bus within 10 s of killing coturn;
  - restart: after an ICE restart mid-call, audio continues.
The lab is torn down also when an assertion fails. Exit 0 on success; the
JSON results of both endpoints are printed on failure.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labutil  # noqa: E402

LAB = labutil.LAB
ENDPOINT = os.path.join(HERE, "lab_endpoint.py")

CALL_SECONDS = 7.0
PACKETS_PER_SECOND = 50


class CaseFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailure(what)


def lab(env, *args, capture=True):
    try:
        return labutil.lab(env, *args, capture=capture)
    except labutil.LabError as e:
        raise CaseFailure(str(e))


def read_env(lab_dir):
    return labutil.read_env(lab_dir)


def wait_turn_ready(env, labenv):
    try:
        labutil.wait_turn_ready(env, labenv)
    except labutil.LabError as e:
        raise CaseFailure(str(e))


def counters(env):
    try:
        return labutil.counters(env)
    except labutil.LabError as e:
        raise CaseFailure(str(e))


def changed(before, after):
    return {"%s/%s" % k: after[k] - before.get(k, 0) for k in after
            if after[k] != before.get(k, 0)}


def delta(before, after, node, name):
    return after.get((node, name), 0) - before.get((node, name), 0)


def endpoint_cmd(role, lab_dir, labenv, extra):
    out = os.path.join(lab_dir, "result-%s.json" % role)
    # LAB_ENDPOINT_WRAP runs the endpoint under a tool, for example
    # "valgrind --error-exitcode=97 --num-callers=30"
    wrap = os.environ.get("LAB_ENDPOINT_WRAP", "").split()
    cmd = wrap + ["/usr/bin/python3", ENDPOINT, "--role", role,
           "--exchange-dir", os.path.join(lab_dir, "exchange"),
           "--duration", str(CALL_SECONDS), "--out", out]
    if role == "a":
        cmd.append("--controlling")
    return cmd + extra, out


def run_call(env, lab_dir, labenv, extra_a, extra_b, during=None):
    os.makedirs(os.path.join(lab_dir, "exchange"), exist_ok=True)
    cmd_a, out_a = endpoint_cmd("a", lab_dir, labenv, extra_a)
    cmd_b, out_b = endpoint_cmd("b", lab_dir, labenv, extra_b)
    env_a = dict(env, GST_REGISTRY=os.path.join(lab_dir, "registry-a.bin"))
    env_b = dict(env, GST_REGISTRY=os.path.join(lab_dir, "registry-b.bin"))
    pa = subprocess.Popen(["ip", "netns", "exec", labenv["LAB_NS_A"]] +
                          cmd_a, env=env_a)
    pb = subprocess.Popen(["ip", "netns", "exec", labenv["LAB_NS_B"]] +
                          cmd_b, env=env_b)
    marks = {}
    try:
        if during:
            marks = during(env) or {}
        for p in (pa, pb):
            p.wait(timeout=CALL_SECONDS + 30)
    finally:
        for p in (pa, pb):
            if p.poll() is None:
                p.kill()
                p.wait()
    check(pa.returncode == 0 and pb.returncode == 0,
          "an endpoint exited with %s/%s" % (pa.returncode, pb.returncode))
    with open(out_a) as f:
        ra = json.load(f)
    with open(out_b) as f:
        rb = json.load(f)
    return ra, rb, marks


def last_pair(r):
    check(r["pairs"], "%s: no pair was selected (states %s, errors %s)" %
          (r["role"], r["states"], r["errors"]))
    return r["pairs"][-1]


def check_media(r, lossy=False, allow_missing=0):
    role = r["role"]
    check(not r["errors"], "%s: errors %s" % (role, r["errors"]))
    check(r["first_packet_at"] is not None, "%s received nothing" % role)
    expected = (CALL_SECONDS - r["first_packet_at"]) * PACKETS_PER_SECOND
    if lossy:
        check(r["received"] >= 0.6 * expected,
              "%s: %d packets, expected about %d" % (role, r["received"],
                                                     expected))
        return
    check(r["received"] >= 0.9 * expected,
          "%s: %d packets, expected about %d" % (role, r["received"],
                                                 expected))
    check(r["missing"] <= allow_missing,
          "%s: %d packets missing" % (role, r["missing"]))
    check(r["max_gap_s"] < 0.3,
          "%s: a %.3f s gap in the audio" % (role, r["max_gap_s"]))


def case_direct(env, lab_dir, labenv):
    before = counters(env)
    ra, rb, _ = run_call(env, lab_dir, labenv, [], [])
    after = counters(env)
    for r in (ra, rb):
        p = last_pair(r)
        check((p["local-type"], p["remote-type"], p["transport"]) ==
              ("host", "host", "udp"), "%s: pair %s" % (r["role"], p))
        check_media(r)
    media = delta(before, after, "rtr-a", "udp-to-peer")
    check(media >= 250, "rtr-a forwarded only %d UDP packets to B" % media)
    return ra, rb


def case_nat(env, lab_dir, labenv):
    stun = ["--stun", labenv["LAB_STUN_URI"]]
    before = counters(env)
    ra, rb, _ = run_call(env, lab_dir, labenv, stun, stun)
    after = counters(env)
    for r in (ra, rb):
        p = last_pair(r)
        check(p["transport"] == "udp", "%s: pair %s" % (r["role"], p))
        check("relay" not in (p["local-type"], p["remote-type"]),
              "%s: relayed pair %s" % (r["role"], p))
        check(p["remote-type"] in ("srflx", "prflx"),
              "%s: the peer's candidate is %s, not reflexive" %
              (r["role"], p["remote-type"]))
        check_media(r)
    media = delta(before, after, "rtr-a", "udp-to-peer")
    turn = delta(before, after, "rtr-a", "udp-to-turn")
    check(media >= 0.8 * rb["received"],
          "rtr-a forwarded %d UDP packets NAT-to-NAT, B received %d: %s" %
          (media, rb["received"], changed(before, after)))
    check(turn < 50, "rtr-a sent %d UDP packets to coturn" % turn)
    return ra, rb


def turn_args(labenv, transport="UDP"):
    return ["--stun", labenv["LAB_STUN_URI"],
            "--turn", labenv["LAB_TURN_URI_" + transport]]


def case_symmetric(env, lab_dir, labenv, during=None, keep_running=False):
    extra = turn_args(labenv)
    extra_a = list(extra)
    if keep_running:
        extra_a.append("--keep-running-on-error")
    before = counters(env)
    ra, rb, marks = run_call(env, lab_dir, labenv, extra_a, extra, during)
    after = counters(env)
    if during:
        return ra, rb, marks
    for r in (ra, rb):
        p = last_pair(r)
        check("relay" in (p["local-type"], p["remote-type"]),
              "%s: pair %s is not relayed" % (r["role"], p))
        check_media(r)
    pa = last_pair(ra)
    if pa["local-type"] == "relay":
        check(pa["relay-transport"] == "udp", "A relays over %s" %
              pa["relay-transport"])
    via_turn = delta(before, after, "rtr-a", "udp-to-turn")
    direct = delta(before, after, "rtr-a", "udp-to-peer")
    check(via_turn >= 250, "rtr-a sent only %d UDP packets to coturn" %
          via_turn)
    check(direct < 50, "rtr-a sent %d UDP packets straight to B" % direct)
    return ra, rb


def case_udp_blocked(env, lab_dir, labenv):
    before = counters(env)
    ra, rb, _ = run_call(env, lab_dir, labenv,
                         ["--stun", labenv["LAB_STUN_URI"],
                          "--turn", labenv["LAB_TURN_URI_UDP"],
                          "--turn", labenv["LAB_TURN_URI_TCP"]],
                         turn_args(labenv))
    after = counters(env)
    pa = last_pair(ra)
    check(pa["transport"] == "tcp" or pa["relay-transport"] == "tcp",
          "A's pair %s has no TCP leg" % pa)
    for r in (ra, rb):
        check_media(r)
    tcp = (delta(before, after, "rtr-a", "tcp-to-turn") +
           delta(before, after, "rtr-a", "tcp-to-peer"))
    udp = (delta(before, after, "rtr-a", "udp-to-turn") +
           delta(before, after, "rtr-a", "udp-to-peer"))
    check(tcp >= 250, "rtr-a forwarded only %d TCP packets" % tcp)
    check(udp == 0, "rtr-a forwarded %d UDP packets" % udp)
    return ra, rb


def case_ice_tcp(env, lab_dir, labenv):
    """udp-blocked-public: A's router drops UDP, B has a public address:
    ICE-TCP reaches it directly, A active, B passive."""
    extra = ["--ice-tcp"]
    before = counters(env)
    ra, rb, _ = run_call(env, lab_dir, labenv, extra, extra)
    after = counters(env)
    pa = last_pair(ra)
    check(pa["transport"] == "tcp" and pa["local-type"] != "relay",
          "A's pair %s is not ICE-TCP" % pa)
    for r in (ra, rb):
        check_media(r)
    tcp = delta(before, after, "rtr-a", "tcp-to-peer")
    check(tcp >= 0.8 * rb["received"], "rtr-a forwarded %d TCP packets to B, "
          "B received %d: %s" % (tcp, rb["received"], changed(before, after)))
    return ra, rb


def case_lossy(env, lab_dir, labenv):
    stun = ["--stun", labenv["LAB_STUN_URI"]]
    before = counters(env)
    ra, rb, _ = run_call(env, lab_dir, labenv, stun, stun)
    after = counters(env)
    for r in (ra, rb):
        last_pair(r)
        check_media(r, lossy=True)
    dropped = (delta(before, after, "rtr-a", "loss-drop-out") +
               delta(before, after, "rtr-a", "loss-drop-in"))
    check(dropped > 20, "the lossy router dropped only %d packets" % dropped)
    return ra, rb


def case_turn_killed(env, lab_dir, labenv):
    def kill_turn(env):
        time.sleep(2.5)
        killed = time.time()
        lab(env, "turn-stop")
        return {"killed": killed}

    global CALL_SECONDS
    CALL_SECONDS = 14.0
    ra, rb, marks = case_symmetric(env, lab_dir, labenv, during=kill_turn,
                                   keep_running=True)
    check(ra["connected_at"] is not None, "A never connected")
    check(ra["errors"], "no error on A's bus after coturn was killed "
          "(states %s)" % ra["states"])
    err_wall = ra["t0_wall"] + ra["errors"][0]["time"]
    latency = err_wall - marks["killed"]
    check(0 < latency <= 10.0, "the failure came %.1f s after coturn was "
          "killed" % latency)
    check(any(s == "disconnected" for _, s in ra["states"]),
          "A never reported disconnected: %s" % ra["states"])
    print("failure reported %.1f s after coturn was killed" % latency)
    return ra, rb


def case_restart(env, lab_dir, labenv):
    stun = ["--stun", labenv["LAB_STUN_URI"]]
    ra, rb, _ = run_call(env, lab_dir, labenv, stun + ["--restart-at", "3"],
                         stun)
    check(any(s == "restart" for _, s in ra["states"]), "A did not restart")
    check(any(s == "peer-restart" for _, s in rb["states"]),
          "B did not see the restart")
    check(len(ra["pairs"]) >= 2 and ra["pairs"][-1]["time"] > 3.0,
          "no pair was selected after the restart: %s" % ra["pairs"])
    for r in (ra, rb):
        check_media(r, allow_missing=2)
    return ra, rb


CASES = {
    "direct": ("direct", case_direct),
    "nat": ("nat", case_nat),
    "symmetric": ("symmetric", case_symmetric),
    "udp-blocked": ("udp-blocked", case_udp_blocked),
    "ice-tcp": ("udp-blocked-public", case_ice_tcp),
    "lossy": ("lossy", case_lossy),
    "turn-killed": ("symmetric", case_turn_killed),
    "restart": ("nat", case_restart),
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: ice_case.py %s" % "|".join(CASES), file=sys.stderr)
        return 2
    name = sys.argv[1]
    topology, func = CASES[name]
    if os.geteuid() != 0:
        print("ice_case: must run as root (network namespaces)",
              file=sys.stderr)
        return 1

    env = dict(os.environ)
    base = env.get("LAB_BASE_DIR", "/tmp")
    lab_dir = os.path.join(base, "acs-lab-ice-%s-%d" % (name, os.getpid()))
    env["LAB_DIR"] = lab_dir
    env["LAB_PREFIX"] = "a%d%s-" % (os.getpid() % 100000, name[:3])
    ok = False
    try:
        lab(env, "up", topology)
        labenv = read_env(lab_dir)
        wait_turn_ready(env, labenv)
        results = func(env, lab_dir, labenv)
        print("%s: ok" % name)
        for r in results[:2]:
            p = r["pairs"][-1] if r["pairs"] else {}
            print("  %s: connected %.3f s, first packet %.3f s, %d packets, "
                  "%d missing, pair %s/%s -> %s/%s relay %s" % (
                      r["role"], r["connected_at"] or -1,
                      r["first_packet_at"] or -1, r["received"],
                      r["missing"], p.get("local-type"), p.get("transport"),
                      p.get("remote-type"), p.get("remote-address"),
                      p.get("relay-transport")))
        ok = True
        return 0
    except CaseFailure as e:
        print("%s: FAILED: %s" % (name, e), file=sys.stderr)
        for role in "ab":
            path = os.path.join(lab_dir, "result-%s.json" % role)
            if os.path.exists(path):
                with open(path) as f:
                    print("--- %s:\n%s" % (role, f.read()), file=sys.stderr)
        return 1
    finally:
        subprocess.run([LAB, "down"], env=env, capture_output=True)
        if ok:
            shutil.rmtree(lab_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
