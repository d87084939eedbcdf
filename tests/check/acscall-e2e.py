#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A whole call between two acs-call processes through a real acs-controller
on loopback (HTTPS, its self-signed certificate pinned).

Usage: acscall-e2e.py PATH/TO/acs-controller PATH/TO/acs-call

bob answers, alice calls bob and sends a 440 Hz tone; each hangs up after
4 s of active call. Both must report ok with a host/udp pair, SRTP
AEAD_AES_128_GCM, RTP and RTCP both ways and an RTT; bob's recording must hold the tone
(Goertzel power at 440 Hz far above that at other frequencies), not only
bytes. The same call again with Opus (and VP8 video) encoded and decoded
outside the bins (acscallbin encoded=true). alice hangs up after 2 s, which ends bob's
call too; then bob hangs up after 2 s, which ends alice's. Then bob declines a call (both end with 603) and alice cancels one
while it rings (both end with 487), each without an error. Then a video
call (acscallbin's video_sink, VP8 BUNDLEd with the audio): alice sends a
solid green test pattern, bob a solid blue one; each must decode frames at
close to the 15 fps sent, 320x240, of the other's colour (the mean of the
frame's middle), with the tone still arriving. Last, alice offers video to
a bob without video: the video line is rejected, the audio call works.
Exit 0 on success.
"""

import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acscontrollerproc import Controller, Failure, check  # noqa: E402

TONE = 440.0
TIMEOUT = 40


def read_wav(path):
    """Mono S16LE samples of a WAV file; tolerates a header whose sizes
    were never filled in"""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file")
    pos, rate, channels = 12, 48000, 1
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            channels, rate = struct.unpack("<HI", data[pos + 10:pos + 16])
        if cid == b"data":
            body = data[pos + 8:]
            if 0 < size <= len(body):
                body = body[:size]
            break
        pos += 8 + size
    else:
        raise Failure("no data chunk in %s" % path)
    n = len(body) // 2
    samples = struct.unpack("<%dh" % n, body[:n * 2])
    return samples[::channels], rate


def goertzel(samples, rate, freq):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def check_tone(path):
    samples, rate = read_wav(path)
    check(len(samples) > rate * 2, "bob recorded %d samples only" %
          len(samples))
    # skip the first 0.5 s (decoder start), analyse 2 s
    part = samples[rate // 2:rate // 2 + 2 * rate]
    rms = math.sqrt(sum(x * x for x in part) / len(part))
    check(rms > 1000, "bob's recording is silent (rms %.0f)" % rms)
    tone = goertzel(part, rate, TONE)
    others = [goertzel(part, rate, f) for f in (300, 600, 1000, 2000)]
    check(all(tone > 100 * o for o in others),
          "no %g Hz tone in bob's recording: %g vs %s" % (TONE, tone, others))
    return rms


def run_call(ctl, acs_call, tmp, bob_args=(), alice_args=()):
    env = dict(os.environ)
    common = ["--controller", "https://127.0.0.1:%d" % ctl.port,
              "--pinned-cert", ctl.cert, "--duration", "4",
              "--interfaces", "127.0.0.1", "--json", "--tone", str(TONE)]
    bob_wav = os.path.join(tmp, "bob.wav")
    bob = subprocess.Popen([acs_call, "--answer", "--token", ctl.token("bob"),
                            "--record", bob_wav] + common + list(bob_args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    # alice calls once bob's event stream is open
    lines = []
    deadline = time.monotonic() + 20
    while True:
        line = bob.stdout.readline()
        check(line != "", "bob exited before waiting: %s" % "".join(lines))
        lines.append(line)
        if "waiting for a call" in line:
            break
        check(time.monotonic() < deadline, "bob never waited for a call")
    alice = subprocess.Popen([acs_call, "--call", "bob", "--token",
                              ctl.token("alice"),
                              "--record", os.path.join(tmp, "alice.wav")] +
                             common + list(alice_args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    results = {}
    for name, proc, head in (("alice", alice, ""), ("bob", bob,
                                                     "".join(lines))):
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        out = head + out
        sys.stderr.write("--- %s (exit %d)\n%s%s" % (name, proc.returncode,
                                                     out, err[-3000:]))
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        try:
            results[name] = json.loads(last)
        except ValueError:
            raise Failure("%s printed no JSON summary" % name)
        check(proc.returncode == 0, "%s exited with %d" % (name,
                                                          proc.returncode))
    return results, bob_wav


def ice_server_requests(ctl, user):
    """How many GET /v1/ice-servers of @user the controller has logged."""
    with open(os.path.join(ctl.dir, "stderr")) as f:
        return sum(1 for line in f
                   if "request method=GET path=/v1/ice-servers " in line and
                   (" user=%s" % user) in line)


def gst_launch_call(ctl, tmp):
    env = dict(os.environ)
    env.pop("ACS_TOKEN", None)
    common = ["controller=https://127.0.0.1:%d" % ctl.port,
              "tls-pinned-certificate=%s" % ctl.cert, "interfaces=127.0.0.1"]
    wav = os.path.join(tmp, "gst-launch-bob.wav")
    bob = subprocess.Popen(
        ["gst-launch-1.0", "-q", "acscallbin", "name=c", "auto-answer=true",
         "token=" + ctl.token("bob")] + common +
        ["audiotestsrc", "is-live=true", "wave=silence", "!", "c.audio_sink",
         "c.", "!", "audioconvert", "!", "wavenc", "!", "filesink",
         "location=" + wav], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        # bob listens once his event stream is up; give him a moment
        time.sleep(1.5)
        alice = subprocess.run(
            ["gst-launch-1.0", "-q", "audiotestsrc", "is-live=true",
             "freq=%g" % TONE, "num-buffers=200", "!", "acscallbin",
             "name=c", "target=bob", "token=" + ctl.token("alice")] +
            common + ["c.", "!", "fakesink"], env=env, capture_output=True,
            text=True, timeout=30)
        out, _ = bob.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        bob.kill()
        bob.wait()
        raise Failure("gst-launch did not exit at the end of the call")
    check(alice.returncode == 0, "the caller's gst-launch exited with %d: "
          "%s" % (alice.returncode, (alice.stdout + alice.stderr)[-1500:]))
    check(bob.returncode == 0, "the callee's gst-launch exited with %d: %s" %
          (bob.returncode, out[-1500:]))
    check_tone(wav)


def check_video(r, name, rgb, seconds):
    frames = r["video_frames_received"]
    # 15 fps sent; the first frames wait for a keyframe (PLI)
    check(frames >= 10 * seconds and frames <= 16 * seconds,
          "%s decoded %d video frames in %d s" % (name, frames, seconds))
    check((r["video_width"], r["video_height"]) == (320, 240),
          "%s video is %sx%s" % (name, r["video_width"], r["video_height"]))
    got = r["video_mean_rgb"]
    check(all(abs(g - w) < 24 for g, w in zip(got, rgb)),
          "%s received colour %s, not %s" % (name, got, rgb))
    check(r["first_video_ms"] is not None, "%s: no first video time" % name)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ctl = Controller(sys.argv[1], "acs-call-e2e-")
    tmp = tempfile.mkdtemp(prefix="acs-call-e2e-wav-")
    try:
        results, bob_wav = run_call(ctl, sys.argv[2], tmp)
        for name, r in results.items():
            check(r.get("ok") is True, "%s not ok: %s" % (name, r))
            check(r["end_reason"] == 200, "%s ended with %s" %
                  (name, r["end_reason"]))
            check((r["local_type"], r["local_proto"], r["remote_type"],
                   r["remote_proto"]) == ("host", "udp", "host", "udp"),
                  "%s path is not host/udp: %s" % (name, r))
            check(r["case"] == "direct", "%s call-flow case %s" %
                  (name, r["case"]))
            check(r["srtp_profile"] == "AEAD_AES_128_GCM",
                  "%s SRTP profile %s" % (name, r["srtp_profile"]))
            check(r["rtp_sent"] > 100 and r["rtp_received"] > 100,
                  "%s RTP sent/received %d/%d" % (name, r["rtp_sent"],
                                                  r["rtp_received"]))
            check(r["rtcp_sent"] > 0 and r["rtcp_received"] > 0,
                  "%s RTCP sent/received %d/%d" % (name, r["rtcp_sent"],
                                                   r["rtcp_received"]))
            check(r["recording_complete"] is True,
                  "%s: the end of the call never reached the recorder" %
                  name)
            check(r["setup_ms"] is not None and
                  r["first_audio_ms"] is not None,
                  "%s has no setup or first-audio time" % name)

        check(any(r["rtt_ms"] is not None for r in results.values()),
              "no RTT from RTCP at either end")
        setup, first_audio = (results["alice"]["setup_ms"],
                              results["alice"]["first_audio_ms"])
        check_tone(bob_wav)
        # the same call with encoding outside the bins (encoded=true)
        # (and VP8 encoded and decoded outside too: red and blue video)
        results, bob_wav = run_call(
            ctl, sys.argv[2], tmp, ["--encoded", "--video", "--video-color",
                                    "0000ff"],
            ["--encoded", "--video", "--video-color", "ff0000"])
        for name, r in results.items():
            check(r["ok"] is True and r["rtp_received"] > 100,
                  "%s in encoded mode: %s" % (name, r))
        check_tone(bob_wav)
        check_video(results["bob"], "bob (encoded)", (255, 0, 0), 4)
        check_video(results["alice"], "alice (encoded)", (0, 0, 255), 4)
        # the caller hangs up mid-call: both end, EOS reaches both recorders
        results, _ = run_call(ctl, sys.argv[2], tmp, ["--duration", "10"],
                              ["--duration", "2"])
        for name, r in results.items():
            check(r["ok"] is True and r["end_reason"] == 200 and
                  r["recording_complete"] is True and r["error"] is None,
                  "%s after the caller's hang-up: %s" % (name, r))
        check(results["alice"]["hung_up_here"] and
              not results["bob"]["hung_up_here"],
              "alice should have hung up: %s" % results)
        # the callee hangs up mid-call: the same, the other way
        results, _ = run_call(ctl, sys.argv[2], tmp, ["--duration", "2"],
                              ["--duration", "10"])
        for name, r in results.items():
            check(r["ok"] is True and r["end_reason"] == 200 and
                  r["recording_complete"] is True and r["error"] is None,
                  "%s after the callee's hang-up: %s" % (name, r))
        check(results["bob"]["hung_up_here"] and
              not results["alice"]["hung_up_here"],
              "bob should have hung up: %s" % results)
        # the callee declines: both end with 603, cleanly
        results, _ = run_call(ctl, sys.argv[2], tmp,
                              ["--decline", "--expect-end", "603"],
                              ["--expect-end", "603"])
        for name, r in results.items():
            check(r["ok"] is True and r["end_reason"] == 603 and
                  r["error"] is None, "%s after a decline: %s" % (name, r))
        # the caller cancels while it rings: both end with 487
        fetched = ice_server_requests(ctl, "bob")
        results, _ = run_call(ctl, sys.argv[2], tmp,
                              ["--answer-after", "10", "--expect-end", "487"],
                              ["--cancel-after", "0.3", "--expect-end",
                               "487"])
        for name, r in results.items():
            check(r["ok"] is True and r["end_reason"] == 487 and
                  r["error"] is None, "%s after a cancel: %s" % (name, r))
        # bob asked for the ICE servers while it rang, not once he answers
        # (he never did): his answer would not wait for them
        check(ice_server_requests(ctl, "bob") == fetched + 1,
              "bob did not fetch the ICE servers while ringing")

        # video both ways: each decodes the other's colour
        results, bob_wav = run_call(
            ctl, sys.argv[2], tmp, ["--video", "--video-color", "0000ff"],
            ["--video", "--video-color", "00ff00"])
        for name, r in results.items():
            check(r["ok"] is True and r["error"] is None,
                  "%s in a video call: %s" % (name, r))
        check_video(results["bob"], "bob", (0, 255, 0), 4)
        check_video(results["alice"], "alice", (0, 0, 255), 4)
        check_tone(bob_wav)
        first_video = results["alice"]["first_video_ms"]
        # video offered to a callee without video: audio only
        results, bob_wav = run_call(ctl, sys.argv[2], tmp, [], ["--video"])
        for name, r in results.items():
            check(r["ok"] is True and r["video_frames_received"] == 0,
                  "%s, video offered to a callee without: %s" % (name, r))
        check_tone(bob_wav)

        # gst-launch-1.0 on both ends, as docs/elements/acscallbin.md
        # shows: the caller's source ends after 200 buffers (EOS hangs up),
        # and both pipelines reach EOS and exit 0 by themselves
        gst_launch_call(ctl, tmp)

        print("acs-call end to end: ok (setup %.0f ms, first audio %.0f ms, "
              "first video %.0f ms at alice)" % (setup, first_audio,
                                                 first_video))
        return 0
    except Failure as e:
        print("acs-call end to end: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        code = ctl.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if code != 0:
            print("the controller exited with %d" % code, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
