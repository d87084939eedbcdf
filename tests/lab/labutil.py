# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lab from Python: lab.sh commands, lab.env, coturn's readiness and
the routers' counters. Shared by calllab.py, ice_case.py and
bench/ice/connect_bench.py (Python 3 standard library only)."""

import os
import shlex
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, "lab.sh")
STUNPROBE = os.path.join(HERE, "stunprobe.py")
PYTHON = "/usr/bin/python3"


class LabError(Exception):
    """A lab command failed, or the lab never became usable"""


def lab(env, *args, capture=True):
    """Runs `lab.sh ARGS` with @env (LAB_DIR, LAB_PREFIX, ...); returns its
    stdout, raises LabError with the end of its stderr on failure"""
    r = subprocess.run([LAB] + list(args), env=env, text=True,
                       capture_output=capture)
    if r.returncode != 0:
        raise LabError("lab.sh %s failed: %s" % (" ".join(args),
                                                 (r.stderr or "")[-2000:]))
    return r.stdout


def read_env(lab_dir):
    """lab.env of the lab in @lab_dir as a dict"""
    env = {}
    with open(os.path.join(lab_dir, "lab.env")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            env[k] = shlex.split(v)[0] if v else ""
    return env


def wait_turn_ready(env, labenv):
    """coturn listens before its relay and auth threads serve: an
    allocation made right after start-up is sometimes refused. Waits until
    one TURN allocation succeeds (from coturn's own namespace)."""
    server = "%s:%s" % (labenv["LAB_TURN_ADDR"], labenv["LAB_TURN_PORT"])
    r = None
    for _ in range(50):
        r = subprocess.run([LAB, "exec", "turn", PYTHON, STUNPROBE,
                            "--timeout", "1", "--allocate",
                            labenv["LAB_TURN_USER"], labenv["LAB_TURN_PASS"],
                            server], env=env, capture_output=True, text=True)
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise LabError("coturn never granted a TURN allocation: %s" %
                   (r.stderr or "")[-500:])


def counters(env):
    """The routers' counters: {(node, name): packets}"""
    out = {}
    for line in lab(env, "counters").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2].isdigit():
            out[(parts[0], parts[1])] = int(parts[2])
    return out
