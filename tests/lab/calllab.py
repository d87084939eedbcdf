# SPDX-License-Identifier: LGPL-2.1-or-later
"""calllab: real acs-call calls between the lab's namespaces, for the lab
tests (tests/lab/call_case.py), the demo and the benchmarks.

Python 3 standard library; numpy is used when present (faster analysis).
Run as root with Debian's /usr/bin/python3.

Quick use
---------

    import calllab
    r = calllab.run_call("nat", duration=6)      # one lab, one call
    print(r.caller["case"], r.callee["first_audio_ms"], r.counter("rtr-a",
          "udp-to-peer"))

    with calllab.CallLab("direct", out_dir="out") as lab:   # many calls
        for i in range(10):
            r = lab.call(duration=3, name="call%d" % i)
            print(r.caller["setup_ms"], r.callee["first_audio_ms"])

API
---

CallLab(topology, out_dir=None, name=None, loss=None, build_dir=None,
        controller=True, keep=False, quiet=True)
    Context manager. __enter__ builds the lab (tests/lab/lab.sh up, a
    unique LAB_DIR and LAB_PREFIX), waits until coturn grants an
    allocation, adds CONTROLLER_ADDR (203.0.113.5) to the `turn` namespace
    and starts acs-controller there (HTTPS on CONTROLLER_ADDR:8443 with a
    self-signed certificate for that address, --stun-uri / --turn-uri for
    coturn over UDP and TCP, --turn-secret-file with the lab's secret, a
    temporary state dir). __exit__ (also on exceptions, SIGINT and
    SIGTERM, which raise KeyboardInterrupt / SystemExit while the lab is
    up) stops everything this object started, by pid, and tears the lab
    down. `loss` sets LAB_LOSS for the lossy topology. Attributes: env
    (lab.env as a dict), lab_dir, out_dir, controller_url, ca_file.
    Binaries: $ACS_CALL / $ACS_CONTROLLER, else BUILD_DIR/tools/...;
    BUILD_DIR is build_dir, $ACS_BUILD_DIR or REPO/build. The plugins come
    from $GST_PLUGIN_PATH_1_0 if set, else from BUILD_DIR.

  .call(name="call", caller="alice", callee="bob", duration=6,
        callee_duration=None, send=None, tone=None, callee_tone=1000,
        caller_args=(), callee_args=(), capture=None, stats=True,
        during=None, timeout=60) -> CallResult
    Starts `acs-call --answer` in namespace B, waits until it listens for
    calls, then `acs-call --call` in namespace A; both with --controller,
    --ca-file, --json, --record, --stats-file, --duration. The caller sends
    the WAV file `send` (see make_tone_sequence, make_speech) or a tone of
    `tone` Hz; the callee a tone of `callee_tone` Hz. No --stun-server or
    --turn-server: the servers come from the controller. `capture` is a
    router node ("rtr-a", "rtr-b") whose lan0 is captured with tshark
    (without the controller's traffic) for the duration of the call.
    `during(lab, result)` runs in this thread once both processes are up
    (e.g. to restart the controller); what it returns is result.during.
    Router counters are read before and after.

  .token(user) (a fresh token; never print it), .restart_controller()
  (SIGKILL, then start again on the same state dir), .stop_controller(),
  .start_controller(), .controller_log(), .counters() -> {(node, name):
  packets}, .ns(node) -> namespace name, .lab(*args) -> lab.sh's stdout.
  Outputs (recordings, logs, stats series, pcap) go to out_dir (default
  LAB_DIR + "-out", kept); the lab's own LAB_DIR is removed at the end
  unless keep=True. `quiet` is accepted and unused.

CallResult attributes: caller, callee (the parsed JSON summaries, {} if
none), caller_rc, callee_rc, caller_wav, callee_wav (recordings: the
callee's recording holds what the caller sent), caller_stats, callee_stats
(paths of --stats-file, JSON lines: t, t_call, rtp_sent, rtp_received,
rtp_rate, packets_lost, loss_pct, interval_loss_pct, jitter_ms, recv_kbps,
send_kbps, mos, rtt_ms), caller_log, callee_log (stdout+stderr), pcap
(or None), counters_before, counters_after, during, sent (the file sent or
None), caller_started, callee_started (time.monotonic() at each spawn);
methods counter(node, name) (the delta), changed() (all non-zero deltas as
"node/name": n), series(role) (the stats lines as dicts: "caller" or
"callee"), ok(), logs(), first_audio_at_callee_ms() (caller's command start
to the callee's first decoded audio: the benchmark's setup time).

run_call(topology, **kw) builds a lab, runs one call (the keywords of
CallLab go to the lab, the others to .call) and returns the CallResult.

Analysis (numpy optional):
  make_tone_sequence(path, seconds, seg=0.25, freqs=SEQ_FREQS, seed=1)
      -> ToneSequence (writes a 48 kHz mono S16 WAV of tone segments in a
      fixed pseudo-random order; the object holds the plan)
  make_speech(path, text, ...) -> path (espeak-ng)
  read_wav(path) -> (samples as floats in [-1, 1], rate)
  detect_sequence(wav, seq) -> {"fraction": matched windows, "lag_s",
      "windows", "recorded_s", "segments", "segment_fraction"}: the
      recording decoded window by window (30 ms, 10 ms hop) to the
      strongest of seq.freqs, aligned to the plan at the best lag;
      fraction 1.0 is a perfect copy, chance about 1/len(freqs);
      segment_fraction: segments whose most common label is the planned
      tone (robust to concealed losses)
  tone_power_ratio(wav, hz) -> Goertzel power at hz over the strongest of
      a few other frequencies (a steady tone: >> 1)
  correlate(sent_wav, recorded_wav) -> {"lag_s", "peak", "overlap_s"}:
      normalised cross-correlation of the 10 ms energy envelopes at the
      best lag (needs numpy); speech through a clean call gives > 0.9
  srtp_check(pcap, profile, plaintext=None) -> dict: every UDP/TCP payload
      of the capture unwrapped from TURN (ChannelData, Send/Data
      indications, TCP framing), classified as STUN, SRTP, SRTCP or other;
      see its docstring.
  plain_rtp_control(plaintext_hex, pcap) writes the capture the wire
      would hold without SRTP, for checking that srtp_check fails on it;
      write_pcap(path, [(src, sport, dst, dport, payload)]).
"""

import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:
    import numpy
except ImportError:  # pragma: no cover
    numpy = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import labutil  # noqa: E402

LAB = labutil.LAB

CONTROLLER_ADDR = "203.0.113.5"
CONTROLLER_PORT = 8443
SEQ_FREQS = (500, 700, 900, 1100, 1300, 1700, 1900, 2300)
RATE = 48000


LabError = labutil.LabError


def _check(cond, what):
    if not cond:
        raise LabError(what)


_read_env = labutil.read_env


def _kill(proc, sig=signal.SIGTERM, timeout=10):
    """Ends one process we started, by its pid; returns its exit code"""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


class _Signals:
    """SIGTERM raises SystemExit while the lab is up, so that `finally`
    blocks tear it down; SIGINT raises KeyboardInterrupt as usual."""

    def __init__(self):
        self.saved = None

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return

        def on_term(signum, frame):
            raise SystemExit(128 + signum)
        self.saved = (signal.signal(signal.SIGTERM, on_term),
                      signal.signal(signal.SIGINT,
                                    signal.default_int_handler))

    def restore(self):
        if self.saved:
            signal.signal(signal.SIGTERM, self.saved[0])
            signal.signal(signal.SIGINT, self.saved[1])
            self.saved = None


class CallResult:
    def __init__(self):
        self.caller = {}
        self.callee = {}
        self.caller_rc = self.callee_rc = None
        self.caller_wav = self.callee_wav = None
        self.caller_stats = self.callee_stats = None
        self.caller_log = self.callee_log = None
        self.pcap = None
        self.counters_before = {}
        self.counters_after = {}
        self.during = None
        self.sent = None
        self.caller_started = self.callee_started = None

    def first_audio_at_callee_ms(self):
        """From the start of the caller's command to the first decoded
        audio at the callee (the callee's first_audio_ms counts from its
        own, earlier, start), or None"""
        fa = self.callee.get("first_audio_ms")
        if fa is None or self.caller_started is None:
            return None
        # acs-call's own start on CLOCK_MONOTONIC (as time.monotonic),
        # which all namespaces share, else when calllab spawned it
        t_b = self.callee.get("t0_monotonic_ms")
        t_b = t_b / 1000.0 if t_b is not None else self.callee_started
        return (t_b + fa / 1000.0 - self.caller_started) * 1000.0

    def counter(self, node, name):
        return (self.counters_after.get((node, name), 0) -
                self.counters_before.get((node, name), 0))

    def changed(self):
        b, a = self.counters_before, self.counters_after
        return {"%s/%s" % k: a[k] - b.get(k, 0) for k in a
                if a[k] != b.get(k, 0)}

    def series(self, role):
        path = self.caller_stats if role == "caller" else self.callee_stats
        out = []
        if path and os.path.exists(path):
            with open(path) as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        return out

    def ok(self):
        return bool(self.caller.get("ok") and self.callee.get("ok"))

    def logs(self, tail=4000):
        text = []
        for role, path in (("caller", self.caller_log),
                           ("callee", self.callee_log)):
            if path and os.path.exists(path):
                with open(path, errors="replace") as f:
                    text.append("--- %s (exit %s):\n%s" % (
                        role, getattr(self, role + "_rc"), f.read()[-tail:]))
        return "\n".join(text)


def _find_build_dir(build_dir):
    for d in (build_dir, os.environ.get("ACS_BUILD_DIR"),
              os.path.join(REPO, "build")):
        if d and os.path.isdir(d):
            return os.path.abspath(d)
    return os.path.join(REPO, "build")


class CallLab:
    _instances = 0

    def __init__(self, topology, out_dir=None, name=None, loss=None,
                 build_dir=None, controller=True, keep=False, quiet=True):
        self.topology = topology
        self.name = name or topology
        self.loss = loss
        self.keep = keep
        self.quiet = quiet
        self.want_controller = controller
        self.build_dir = _find_build_dir(build_dir)
        self.acs_call = os.environ.get("ACS_CALL") or os.path.join(
            self.build_dir, "tools", "call", "acs-call")
        self.acs_controller = os.environ.get("ACS_CONTROLLER") or \
            os.path.join(self.build_dir, "tools", "controller",
                         "acs-controller")
        base = os.environ.get("LAB_BASE_DIR") or tempfile.gettempdir()
        self.lab_dir = os.path.join(base, "acs-calllab-%s-%d-%d" % (
            self.name, os.getpid(), CallLab._instances + 1))
        self.out_dir = os.path.abspath(out_dir) if out_dir else \
            self.lab_dir + "-out"
        self.env_os = dict(os.environ)
        self.env_os["LAB_DIR"] = self.lab_dir
        CallLab._instances += 1
        self.env_os["LAB_PREFIX"] = "c%d%s%d-" % (
            os.getpid() % 100000, self.name[:3], CallLab._instances)
        if loss is not None:
            self.env_os["LAB_LOSS"] = str(loss)
        if not self.env_os.get("GST_PLUGIN_PATH_1_0"):
            self.env_os["GST_PLUGIN_PATH_1_0"] = ":".join(
                os.path.join(self.build_dir, p) for p in
                ("ext/srtp", "ext/nice", "ext/soup", "gst/mixer",
                 "gst/callbin"))
        self.env = {}
        self.controller = None
        self.controller_url = "https://%s:%d" % (CONTROLLER_ADDR,
                                                 CONTROLLER_PORT)
        self.ctl_dir = os.path.join(self.lab_dir, "controller")
        self.ca_file = os.path.join(self.ctl_dir, "cert.pem")
        self._signals = _Signals()
        self._up = False
        self._procs = []
        self._ncalls = 0
        self._tokens = {}

    # -- lab ------------------------------------------------------------

    def lab(self, *args):
        return labutil.lab(self.env_os, *args)

    def ns(self, node):
        """The namespace of a lab node: a, b, turn, rtr-a, rtr-b, sw"""
        return self.env["LAB_NS_" + node.upper().replace("-", "_")]

    def counters(self):
        return labutil.counters(self.env_os)

    def _wait_turn_ready(self):
        labutil.wait_turn_ready(self.env_os, self.env)

    def __enter__(self):
        _check(os.geteuid() == 0, "calllab: must run as root")
        for path in (self.acs_call, self.acs_controller):
            _check(os.access(path, os.X_OK), "calllab: no %s (build first, "
                   "or set ACS_CALL / ACS_CONTROLLER)" % path)
        self._signals.install()
        try:
            os.makedirs(self.out_dir, exist_ok=True)
            self._up = True
            self.lab("up", self.topology)
            self.env = _read_env(self.lab_dir)
            self._wait_turn_ready()
            if self.want_controller:
                self._setup_controller()
                self.start_controller()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Stops what this object started and removes the lab; idempotent.
        A second Ctrl-C or SIGTERM during the teardown is ignored."""
        if self._signals.saved:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for p in self._procs:
            _kill(p, timeout=5)
        self._procs = []
        self.stop_controller()
        if self._up:
            subprocess.run([LAB, "down"], env=self.env_os,
                           capture_output=True)
            self._up = False
            if not self.keep:
                shutil.rmtree(self.lab_dir, ignore_errors=True)
        self._signals.restore()

    # -- controller -----------------------------------------------------

    def _setup_controller(self):
        os.makedirs(self.ctl_dir, mode=0o700, exist_ok=True)
        subprocess.run(
            ["ip", "-n", self.env["LAB_NS_TURN"], "addr", "add",
             CONTROLLER_ADDR + "/24", "dev", "eth0"], check=True)
        # a self-signed certificate for the address the clients dial
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
             "/CN=acs-controller.lab", "-addext",
             "subjectAltName=IP:%s" % CONTROLLER_ADDR, "-keyout",
             os.path.join(self.ctl_dir, "key.pem"), "-out", self.ca_file],
            capture_output=True, text=True)
        _check(r.returncode == 0, "openssl: %s" % r.stderr[-500:])
        secret = os.path.join(self.ctl_dir, "turn-secret")
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.env["LAB_TURN_SECRET"])

    def start_controller(self):
        """Starts acs-controller in the turn namespace (same state dir
        every time) and waits until it listens"""
        _check(self.controller is None, "the controller runs already")
        turn = "%s:%s" % (self.env["LAB_TURN_ADDR"], self.env["LAB_TURN_PORT"])
        port_file = os.path.join(self.ctl_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.lab_dir, "controller.log"), "a")
        try:
            self.controller = subprocess.Popen(
                ["ip", "netns", "exec", self.env["LAB_NS_TURN"],
                 self.acs_controller, "--listen", "%s:%d" % (
                     CONTROLLER_ADDR, CONTROLLER_PORT),
                 "--port-file", port_file,
                 "--state-dir", os.path.join(self.ctl_dir, "state"),
                 "--cert", self.ca_file,
                 "--key", os.path.join(self.ctl_dir, "key.pem"),
                 "--stun-uri", "stun:%s" % turn,
                 "--turn-uri", "turn:%s?transport=udp" % turn,
                 "--turn-uri", "turn:%s?transport=tcp" % turn,
                 "--turn-secret-file", os.path.join(self.ctl_dir,
                                                    "turn-secret")],
                stdout=log, stderr=log, env=self.env_os)
        finally:
            log.close()
        deadline = time.monotonic() + 20
        while True:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    if f.read().endswith("\n"):
                        return
            if self.controller.poll() is not None:
                rc = self.controller.returncode
                self.controller = None
                raise LabError("acs-controller exited with %s: %s" % (
                    rc, self.controller_log()[-1000:]))
            if time.monotonic() > deadline:
                raise LabError("acs-controller never listened")
            time.sleep(0.05)

    def stop_controller(self, sig=signal.SIGTERM):
        rc = _kill(self.controller, sig)
        self.controller = None
        return rc

    def restart_controller(self, sig=signal.SIGKILL):
        """Kills the controller (SIGKILL by default: a crash) and starts it
        again with the same state dir, certificate and token secret"""
        self.stop_controller(sig)
        self.start_controller()

    def controller_log(self):
        try:
            with open(os.path.join(self.lab_dir, "controller.log"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def token(self, user):
        r = subprocess.run([self.acs_controller, "mint-token", "--state-dir",
                            os.path.join(self.ctl_dir, "state"), "--user",
                            user], capture_output=True, text=True)
        _check(r.returncode == 0, "mint-token failed: %s" % r.stderr[-300:])
        return r.stdout.strip()

    # -- calls ----------------------------------------------------------

    def _spawn(self, node, role, args, log_path):
        """Runs args in node's namespace; the token minted for role goes
        in ACS_TOKEN. (bench/call/call_bench.py overrides this method with
        this signature.)"""
        env = dict(self.env_os, GST_REGISTRY=os.path.join(
            self.lab_dir, "registry-%s.bin" % node))
        token = self._tokens.pop(role, None)
        if token:
            # in the environment, not on the command line that ps shows
            env["ACS_TOKEN"] = token
        with open(log_path, "w") as log:
            p = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] +
                                 args, stdout=log, stderr=subprocess.STDOUT,
                                 env=env)
        self._procs.append(p)
        return p

    def _start_capture(self, node, path):
        err = path + ".log"
        with open(err, "w") as log:
            p = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(node), "tshark", "-q", "-n",
                 "-i", "lan0", "-F", "pcap", "-w", path, "-f",
                 "not host %s" % CONTROLLER_ADDR], stdout=log, stderr=log,
                env=self.env_os)
        self._procs.append(p)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(err, errors="replace") as f:
                if "Capturing on" in f.read():
                    return p
            _check(p.poll() is None, "tshark exited: %s" % open(err).read())
            time.sleep(0.05)
        raise LabError("tshark never started capturing")

    def call(self, name=None, caller="alice", callee="bob", duration=6,
             callee_duration=None, send=None, tone=None, callee_tone=1000,
             caller_args=(), callee_args=(), capture=None, stats=True,
             during=None, timeout=60):
        self._ncalls += 1
        name = name or "call%d" % self._ncalls
        r = CallResult()
        r.sent = send
        out = lambda what: os.path.join(self.out_dir, "%s-%s" % (name, what))
        r.caller_wav, r.callee_wav = out("caller.wav"), out("callee.wav")
        r.caller_log, r.callee_log = out("caller.log"), out("callee.log")
        if stats:
            r.caller_stats = out("caller-stats.jsonl")
            r.callee_stats = out("callee-stats.jsonl")
        common = ["--controller", self.controller_url, "--ca-file",
                  self.ca_file, "--json"]
        a_args = [self.acs_call, "--call", callee, "--record", r.caller_wav,
                  "--duration", str(duration)] + common
        b_args = [self.acs_call, "--answer", "--record", r.callee_wav,
                  "--duration",
                  str(callee_duration if callee_duration is not None
                      else duration), "--tone", str(callee_tone)] + common
        if stats:
            a_args += ["--stats-file", r.caller_stats]
            b_args += ["--stats-file", r.callee_stats]
        if send:
            a_args += ["--send", os.path.abspath(send)]
        elif tone:
            a_args += ["--tone", str(tone)]
        a_args += list(caller_args)
        b_args += list(callee_args)

        self._tokens = {"caller": self.token(caller),
                        "callee": self.token(callee)}
        cap = None
        if capture:
            r.pcap = out("%s.pcap" % capture)
            cap = self._start_capture(capture, r.pcap)
        r.counters_before = self.counters()
        r.callee_started = time.monotonic()
        pb = self._spawn("b", "callee", b_args, r.callee_log)
        deadline = time.monotonic() + 20
        while True:
            with open(r.callee_log, errors="replace") as f:
                if "waiting for a call" in f.read():
                    break
            if pb.poll() is not None or time.monotonic() > deadline:
                _kill(pb)
                raise LabError("the callee never waited for a call:\n%s" %
                               r.logs())
            time.sleep(0.05)
        r.caller_started = time.monotonic()
        pa = self._spawn("a", "caller", a_args, r.caller_log)
        try:
            if during:
                r.during = during(self, r)
            end = time.monotonic() + timeout
            for p in (pa, pb):
                try:
                    p.wait(timeout=max(1, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for p in (pa, pb):
                _kill(p, signal.SIGKILL)
                if p in self._procs:
                    self._procs.remove(p)
            if cap:
                _kill(cap, signal.SIGINT)
                self._procs.remove(cap)
        r.counters_after = self.counters()
        r.caller_rc, r.callee_rc = pa.returncode, pb.returncode
        r.caller = _last_json(r.caller_log)
        r.callee = _last_json(r.callee_log)
        return r


def _last_json(path):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except ValueError:
                return {}
    return {}


_LAB_KEYS = ("out_dir", "name", "loss", "build_dir", "controller", "keep",
             "quiet")


def run_call(topology, **kw):
    """One lab, one call: keywords of CallLab go to the lab, the rest to
    CallLab.call; returns the CallResult"""
    lab_kw = {k: kw.pop(k) for k in list(kw) if k in _LAB_KEYS}
    with CallLab(topology, **lab_kw) as lab:
        return lab.call(**kw)


# ----------------------------------------------------------------------
# Signals and analysis
# ----------------------------------------------------------------------

class ToneSequence:
    """Tone segments of `seg` seconds from `freqs`, in a fixed order"""

    def __init__(self, path, seconds, seg, freqs, plan, lead):
        self.path = path
        self.seconds = seconds
        self.seg = seg
        self.freqs = tuple(freqs)
        self.plan = plan  # [(start_s, freq)], starting at lead
        self.lead = lead

    def freq_at(self, t):
        i = int((t - self.lead) // self.seg)
        if t < self.lead or i >= len(self.plan):
            return None
        return self.plan[i][1]


def write_wav(path, samples, rate=RATE):
    """Writes float samples in [-1, 1] as mono S16LE"""
    if numpy is not None:
        data = (numpy.clip(numpy.asarray(samples, dtype=float), -1, 1) *
                32767).astype("<i2").tobytes()
    else:
        data = struct.pack("<%dh" % len(samples), *(
            int(max(-1.0, min(1.0, x)) * 32767) for x in samples))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2,
                                      2, 16))
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def make_tone_sequence(path, seconds, seg=0.25, freqs=SEQ_FREQS, seed=1,
                       amplitude=0.4, lead=0.0):
    """A WAV of `seconds` of tone segments: each segment one of `freqs`,
    never the same twice in a row, 5 ms ramps at the joins"""
    rng = random.Random(seed)
    n_seg = int(math.ceil((seconds - lead) / seg))
    plan, prev = [], None
    for i in range(n_seg):
        f = rng.choice([x for x in freqs if x != prev])
        plan.append((lead + i * seg, f))
        prev = f
    n = int(seconds * RATE)
    seg_n = int(seg * RATE)
    ramp = int(0.005 * RATE)
    lead_n = int(lead * RATE)
    if numpy is not None:
        out = numpy.zeros(n)
        t = numpy.arange(seg_n) / RATE
        env = numpy.ones(seg_n)
        env[:ramp] = numpy.linspace(0, 1, ramp)
        env[-ramp:] = numpy.linspace(1, 0, ramp)
        for i, (_, f) in enumerate(plan):
            s = lead_n + i * seg_n
            e = min(n, s + seg_n)
            out[s:e] = (amplitude * env * numpy.sin(2 * math.pi * f * t))[
                :e - s]
    else:
        out = [0.0] * n
        for i, (_, f) in enumerate(plan):
            s = lead_n + i * seg_n
            for j in range(seg_n):
                if s + j >= n:
                    break
                g = min(1.0, j / ramp, (seg_n - 1 - j) / ramp)
                out[s + j] = amplitude * g * math.sin(2 * math.pi * f * j /
                                                      RATE)
    write_wav(path, out)
    return ToneSequence(path, seconds, seg, freqs, plan, lead)


def make_speech(path, text="The quick brown fox jumps over the lazy dog. "
                "One two three four five six seven eight nine ten.",
                voice="en", speed=150):
    """A spoken sample made with espeak-ng (22.05 kHz mono WAV)"""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", path,
                    text], check=True, capture_output=True)
    return path


def read_wav(path):
    """Mono samples as floats in [-1, 1] (first channel) and the rate;
    tolerates a header whose sizes were never filled in"""
    with open(path, "rb") as f:
        data = f.read()
    _check(data[:4] == b"RIFF" and data[8:12] == b"WAVE",
           "%s is not a WAV file" % path)
    pos, rate, channels, body = 12, RATE, 1, b""
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            channels, rate = struct.unpack("<HI", data[pos + 10:pos + 16])
        if cid == b"data":
            body = data[pos + 8:]
            if 0 < size <= len(body):
                body = body[:size]
            break
        pos += 8 + size
    n = len(body) // 2
    if numpy is not None:
        s = numpy.frombuffer(body[:n * 2], dtype="<i2")[::channels]
        return s.astype(float) / 32768.0, rate
    s = struct.unpack("<%dh" % n, body[:n * 2])[::channels]
    return [x / 32768.0 for x in s], rate


def _goertzel(samples, rate, freq):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def _powers(frames, rate, freqs):
    """Power of each frame (rows) at each frequency"""
    if numpy is not None:
        frames = numpy.asarray(frames)
        t = numpy.arange(frames.shape[1]) / rate
        basis = numpy.exp(-2j * math.pi * numpy.outer(t, freqs))
        return numpy.abs(frames @ basis) ** 2
    return [[_goertzel(fr, rate, f) for f in freqs] for fr in frames]


def tone_power_ratio(path, hz, start=0.5, seconds=2.0,
                     others=(300, 600, 1000, 2000)):
    """Goertzel power at hz over the strongest of `others` (those within
    50 Hz of hz are skipped), over `seconds` from `start`"""
    samples, rate = read_wav(path)
    part = samples[int(start * rate):int((start + seconds) * rate)]
    _check(len(part) > rate // 2, "%s: only %d samples" % (path,
                                                           len(samples)))
    p = _powers([part], rate, [hz] + [f for f in others
                                      if abs(f - hz) > 50])[0]
    return float(p[0] / max(max(p[1:]), 1e-12))


def rms(path):
    samples, _ = read_wav(path)
    if not len(samples):
        return 0.0
    if numpy is not None:
        return float(numpy.sqrt(numpy.mean(numpy.square(samples))))
    return math.sqrt(sum(x * x for x in samples) / len(samples))


def detect_sequence(path, seq, win=0.03, hop=0.01, max_lag=None,
                    pos_lag=2.0):
    """Decodes the recording window by window to the strongest of
    seq.freqs (a window quieter than 1/100 of the loudest counts as no
    tone) and aligns it with the plan: returns {"fraction", "lag_s",
    "windows", "recorded_s", "segments", "segment_fraction"} at the lag
    (recording time minus sent time) that matches best, searched from
    -max_lag (default: the whole sequence; the call set-up eats the
    beginning of a sent file) to +pos_lag s. Windows that straddle a
    segment join in the plan are not counted."""
    samples, rate = read_wav(path)
    wn, hn = int(win * rate), int(hop * rate)
    n_win = max(0, (len(samples) - wn) // hn)
    frames = [samples[i * hn:i * hn + wn] for i in range(n_win)]
    if not frames:
        return {"fraction": 0.0, "lag_s": None, "windows": 0,
                "recorded_s": len(samples) / rate, "segments": 0,
                "segment_fraction": 0.0}
    pw = _powers(frames, rate, list(seq.freqs))
    best = []
    peak = max(max(row) for row in pw)
    for row in pw:
        row = list(row)
        m = max(row)
        best.append(seq.freqs[row.index(m)] if m > peak / 100 else None)

    # expected label of a window that starts at plan time t
    def expected(t):
        a, b = seq.freq_at(t), seq.freq_at(t + win - 1e-6)
        return a if a is not None and a == b else None
    lo = -int((seq.seconds if max_lag is None else max_lag) / hop)
    hi = int(pos_lag / hop)
    n = len(best)
    # exp[k + hi]: the label planned for window position k = i - lag
    exp = [expected(k * hop) or 0 for k in range(-hi, n - lo)]
    top = (0, 0, None)
    if numpy is not None:
        got = numpy.array([b or -1 for b in best])
        exp = numpy.array(exp)
        for lag_i in range(lo, hi + 1):
            ev = exp[hi - lag_i:hi - lag_i + n]
            mask = ev > 0
            total = int(mask.sum())
            hits = int((got[mask] == ev[mask]).sum())
            if total and hits > top[0]:
                top = (hits, total, lag_i)
    else:
        for lag_i in range(lo, hi + 1):
            hits = total = 0
            for i, label in enumerate(best):
                e = exp[hi - lag_i + i]
                if e:
                    total += 1
                    hits += label == e
            if total and hits > top[0]:
                top = (hits, total, lag_i)
    hits, total, lag_i = top
    # segments: the planned tone is the most common label of its windows
    votes = {}
    if lag_i is not None:
        for i, label in enumerate(best):
            t = (i - lag_i) * hop
            e = expected(t)
            if e is None:
                continue
            seg = int((t - seq.lead) // seq.seg)
            votes.setdefault(seg, {}).setdefault(label, 0)
            votes[seg][label] += 1
    full = [s for s, v in votes.items() if sum(v.values()) >= 0.8 * (
        seq.seg - win) / hop]
    good = [s for s in full if max(votes[s], key=votes[s].get) ==
            seq.plan[s][1]]
    return {"fraction": hits / total if total else 0.0,
            "lag_s": lag_i * hop if lag_i is not None else None,
            "windows": total, "recorded_s": len(samples) / rate,
            "segments": len(full),
            "segment_fraction": len(good) / len(full) if full else 0.0}


def _envelope(path, hop=0.01):
    samples, rate = read_wav(path)
    hn = int(hop * rate)
    n = len(samples) // hn
    x = numpy.asarray(samples[:n * hn]).reshape(n, hn)
    return numpy.sqrt(numpy.mean(x * x, axis=1))


def correlate(sent, recorded, hop=0.01, max_lag=4.0):
    """Normalised cross-correlation of the 10 ms RMS envelopes of the sent
    and the recorded files at the best lag within +-max_lag s (recording
    time minus sent time; negative when the recording starts into the
    file, as when the call set-up ate its beginning): {"lag_s", "peak",
    "overlap_s"}; a faithful copy of speech gives > 0.8"""
    _check(numpy is not None, "correlate needs numpy")
    a, b = _envelope(sent, hop), _envelope(recorded, hop)
    best = (-1.0, 0, 0)
    m = int(max_lag / hop)
    for lag in range(-m, m + 1):
        if lag >= 0:
            x, y = a, b[lag:]
        else:
            x, y = a[-lag:], b
        n = min(len(x), len(y))
        if n < 100:
            continue
        x, y = x[:n] - x[:n].mean(), y[:n] - y[:n].mean()
        d = math.sqrt(float((x * x).sum() * (y * y).sum()))
        if d > 0:
            c = float((x * y).sum()) / d
            if c > best[0]:
                best = (c, lag, n)
    return {"peak": best[0], "lag_s": best[1] * hop,
            "overlap_s": best[2] * hop}


# ----------------------------------------------------------------------
# The capture: was every packet SRTP?
# ----------------------------------------------------------------------

SRTP_TAG_LEN = {"AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 16,
                "AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4,
                "AES_256_CM_HMAC_SHA1_80": 10, "AES_256_CM_HMAC_SHA1_32": 4}
STUN_COOKIE = b"\x21\x12\xa4\x42"


def read_pcap(path):
    """(src, sport, dst, dport, proto, payload, tcp_seq) of every IPv4 UDP
    and TCP packet with a payload in a classic pcap file (Ethernet or
    Linux cooked link type)"""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") \
        else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if linktype == 1:
            if frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
        elif linktype == 113:
            if frame[14:16] != b"\x08\x00":
                continue
            ip = frame[16:]
        else:
            continue
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        proto = ip[9]
        src = ".".join(str(b) for b in ip[12:16])
        dst = ".".join(str(b) for b in ip[16:20])
        l4 = ip[ihl:total]
        if proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack(">HH", l4[:4])
            if len(l4) > 8:
                out.append((src, sport, dst, dport, "udp", bytes(l4[8:]),
                            None))
        elif proto == 6 and len(l4) >= 20:
            sport, dport, seq = struct.unpack(">HHI", l4[:8])
            doff = (l4[12] >> 4) * 4
            if len(l4) > doff:
                out.append((src, sport, dst, dport, "tcp", bytes(l4[doff:]),
                            seq))
    return out


def write_pcap(path, packets):
    """A classic Ethernet pcap of IPv4/UDP packets (src, sport, dst,
    dport, payload), for checking the checks"""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (src, sport, dst, dport, payload) in enumerate(packets):
            udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0)
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) +
                             len(payload), i & 0xffff, 0, 64, 17, 0,
                             bytes(int(x) for x in src.split(".")),
                             bytes(int(x) for x in dst.split(".")))
            frame = b"\0" * 12 + b"\x08\x00" + ip + udp + payload
            f.write(struct.pack("<IIII", i // 50, (i % 50) * 20000,
                                len(frame), len(frame)) + frame)


def plain_rtp_control(plaintext, path, src="10.0.1.2", dst="10.0.2.2"):
    """Writes a pcap of what the wire would carry without SRTP: the
    logged payloads in RTP packets (with a 16-byte tag's room, so that
    they are RTP-shaped for the profile). srtp_check on it must find
    them: the control that shows the check can fail."""
    pkts = []
    with open(plaintext) as f:
        for i, line in enumerate(f):
            payload = bytes.fromhex(line.strip())
            hdr = struct.pack(">BBHII", 0x80, 96, i & 0xffff, i * 960,
                              0x1234)
            pkts.append((src, 40000, dst, 40002, hdr + payload +
                         b"\0" * 16))
    write_pcap(path, pkts)
    return path


def _tcp_streams(packets):
    """Each TCP direction's bytes in order (retransmissions dropped)"""
    flows = {}
    for src, sport, dst, dport, proto, payload, seq in packets:
        if proto == "tcp":
            flows.setdefault((src, sport, dst, dport), []).append(
                (seq, payload))
    out = {}
    for key, segs in flows.items():
        segs.sort(key=lambda s: s[0])
        stream, nxt = bytearray(), None
        for seq, payload in segs:
            if nxt is None:
                nxt = seq
            if seq + len(payload) <= nxt:
                continue
            if seq > nxt:
                break  # a gap: not captured
            stream += payload[nxt - seq:]
            nxt = seq + len(payload)
        out[key] = bytes(stream)
    return out


def _tcp_frames(stream):
    """Splits a TURN-over-TCP stream (STUN messages and ChannelData padded
    to 4 bytes, RFC 8656 section 12.5) or an RFC 4571 stream (ICE-TCP) into
    messages"""
    frames, pos = [], 0
    while pos + 4 <= len(stream):
        b0 = stream[pos]
        if b0 < 0x40 and stream[pos + 4:pos + 8] == STUN_COOKIE:
            n = 20 + struct.unpack(">H", stream[pos + 2:pos + 4])[0]
            frames.append(stream[pos:pos + n])
            pos += n
        elif 0x40 <= b0 < 0x80:
            n = 4 + struct.unpack(">H", stream[pos + 2:pos + 4])[0]
            frames.append(stream[pos:pos + n])
            pos += (n + 3) & ~3
        else:
            n = struct.unpack(">H", stream[pos:pos + 2])[0]
            frames.append(stream[pos + 2:pos + 2 + n])
            pos += 2 + n
    return frames


def _unwrap(msg):
    """The application packet inside a TURN message: ChannelData or a
    Send/Data indication's DATA attribute; (kind, inner)"""
    if len(msg) >= 4 and 0x40 <= msg[0] < 0x80:
        n = struct.unpack(">H", msg[2:4])[0]
        return "channel", msg[4:4 + n]
    if len(msg) >= 20 and msg[0] < 0x40 and msg[4:8] == STUN_COOKIE:
        mtype = struct.unpack(">H", msg[:2])[0]
        if mtype in (0x0016, 0x0017):  # Send, Data indication
            pos = 20
            while pos + 4 <= len(msg):
                at, n = struct.unpack(">HH", msg[pos:pos + 4])
                if at == 0x0013:
                    return "indication", msg[pos + 4:pos + 4 + n]
                pos += 4 + ((n + 3) & ~3)
        return "stun", None
    return "raw", msg


def _classify(pkt, tag):
    """'stun', 'srtp', 'srtcp', 'bad-srtp', 'bad-srtcp' or 'other', and the
    encrypted part of an SRTP packet"""
    if len(pkt) >= 20 and pkt[0] < 0x40 and (
            pkt[4:8] == STUN_COOKIE or
            struct.unpack(">H", pkt[2:4])[0] + 20 == len(pkt)):
        return "stun", None  # RFC 5389, or RFC 3489 without the cookie
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        return "other", None
    if 192 <= pkt[1] <= 223:
        # SRTCP: first header in clear, then the encrypted rest, the E bit
        # and 31-bit index, the tag
        first = (struct.unpack(">H", pkt[2:4])[0] + 1) * 4
        if len(pkt) < 8 + 4 + tag or first > len(pkt) - 4 - tag:
            return "bad-srtcp", None
        # the E bit: RFC 7714 puts the index after the tag, RFC 3711 before
        e = len(pkt) - 4 if tag == 16 else len(pkt) - tag - 4
        if not pkt[e] & 0x80:
            return "bad-srtcp", None
        return "srtcp", None
    off = 12 + 4 * (pkt[0] & 15)
    if pkt[0] & 0x10:
        if off + 4 > len(pkt):
            return "bad-srtp", None
        off += 4 + 4 * struct.unpack(">H", pkt[off + 2:off + 4])[0]
    if len(pkt) < off + 1 + tag:
        return "bad-srtp", None
    return "srtp", pkt[off:]


def srtp_check(pcap, profile, plaintext=None, local_addr=None, window=12):
    """Looks at every UDP and TCP payload of a capture (TURN ChannelData,
    Send/Data indications and TCP framing unwrapped) and returns:
      packets: messages seen; stun, srtp, srtcp: how many of each;
      other: neither STUN nor RTP-shaped (should be 0), other_samples;
      bad_srtp / bad_srtcp: RTP-shaped but too short for the profile's
        authentication tag, or SRTCP without the E bit (should be 0);
      srtp_from_local, srtp_to_local: SRTP packets from / to local_addr;
      first_byte_share: the share of the most common first payload byte
        among SRTP packets (Opus in clear repeats its TOC byte: ~1.0;
        ciphertext: ~1/256);
      plaintext_known: payloads read from acs-call --log-plaintext;
      plaintext_hits: captured packets holding `window` consecutive bytes
        of one of them (should be 0; a self-check feeds one in clear and
        expects a hit: plaintext_selfcheck)."""
    tag = SRTP_TAG_LEN.get(profile, 16)
    known = set()
    if plaintext:
        with open(plaintext) as f:
            for line in f:
                b = bytes.fromhex(line.strip())
                if len(b) >= window + 4:
                    known.add(b[:window])
                    known.add(b[len(b) // 2:len(b) // 2 + window])
    packets = read_pcap(pcap)
    msgs = []
    for src, sport, dst, dport, proto, payload, seq in packets:
        if proto == "udp":
            msgs.append((src, dst, payload))
    for (src, sport, dst, dport), stream in _tcp_streams(packets).items():
        for m in _tcp_frames(stream):
            msgs.append((src, dst, m))
    res = {"packets": 0, "stun": 0, "srtp": 0, "srtcp": 0, "other": 0,
           "bad_srtp": 0, "bad_srtcp": 0, "srtp_from_local": 0,
           "srtp_to_local": 0, "other_samples": [],
           "plaintext_known": len(known), "plaintext_hits": 0}
    first = {}

    def hits(buf):
        return any(buf[i:i + window] in known
                   for i in range(0, len(buf) - window + 1))

    for src, dst, m in msgs:
        res["packets"] += 1
        kind, inner = _unwrap(m)
        if kind == "stun":
            res["stun"] += 1
            continue
        if known and hits(m):
            res["plaintext_hits"] += 1
        what, enc = _classify(inner, tag)
        key = what.replace("-", "_")
        res[key] = res.get(key, 0) + 1
        if what == "other" and len(res["other_samples"]) < 5:
            res["other_samples"].append("%s>%s %s" % (src, dst,
                                                     inner[:16].hex()))
        if what == "srtp":
            first[enc[0]] = first.get(enc[0], 0) + 1
            if src == local_addr:
                res["srtp_from_local"] += 1
            if dst == local_addr:
                res["srtp_to_local"] += 1
    res["first_byte_share"] = (max(first.values()) / res["srtp"]
                               if res["srtp"] else None)
    if known:
        # the check itself: a plaintext RTP packet would have been caught
        sample = next(iter(known))
        res["plaintext_selfcheck"] = hits(b"\x80\x60" + b"\0" * 10 + sample)
    return res
