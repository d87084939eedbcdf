#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lab test: one real acs-call call per case, through acs-controller
running inside the lab (tests/lab/calllab.py).

Usage: call_case.py CASE   (CASE: direct, nat, symmetric, udp-blocked,
                            decline, cancel, lossy, hangup,
                            controller-restart, speech)

Caller alice in namespace A, callee bob in B; both signal over HTTPS to the
controller on the public segment and take their STUN/TURN servers and TURN
credentials from it (no --stun-server/--turn-server). The path cases send
a known tone sequence (0.25 s segments of eight frequencies in a fixed
pseudo-random order) for 6 s of active call and assert:
  - on bob's recording, window by window, that the sequence arrived in
    order (>= 80 % of the 30 ms windows decode to the planned frequency
    at the best lag; chance is 1/8), and on alice's that bob's 1 kHz tone
    did;
  - the path from both JSON summaries (candidate types, udp/tcp) and from
    the routers' packet counters;
  - from a tshark capture on rtr-a's LAN side: every packet (unwrapped
    from TURN) is STUN, SRTP or SRTCP shaped for the agreed profile, none
    holds 12 bytes in a row of a payload alice logged before encryption
    (acs-call --log-plaintext), and the first payload bytes are spread
    like ciphertext, not Opus TOC bytes.
The others: bob declines (603 at both ends, no error), alice cancels while
it rings (487), 10 % loss each way (the sequence still decodes, the loss is
in the stats and at the router), bob hangs up mid-call, then alice does
(both end with 200, EOS reaches both recorders, no error), the controller is killed and restarted with
the same state dir mid-call (media continues at the full packet rate, the
sequence arrives, both end cleanly). Exit 0 on success; fails (never
skips) when not root.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import calllab  # noqa: E402

DURATION = 6
SEQ_SECONDS = DURATION + 12  # set-up (seconds under loss) eats the start
CALLEE_TONE = 1000
# A 300 ms jitter buffer in the calls that carry the known signal: a CI
# machine's scheduling stalls (seen: 170 ms at a load of 15 on 2 cores)
# must not garble the audio these tests judge; latency is the
# benchmark's business (bench/call)
LATENCY = ["--latency", "300"]


class CaseFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailure(what)


def check_ok(r, end=200):
    for role in ("caller", "callee"):
        j = getattr(r, role)
        check(j, "%s printed no JSON summary" % role)
        check(j.get("ok") is True and j.get("end_reason") == end and
              j.get("error") is None,
              "%s: not ok, or did not end with %d: %s" % (role, end, j))
        check(getattr(r, role + "_rc") == 0, "%s exited with %s" % (
            role, getattr(r, role + "_rc")))


def check_audio(r, seq, min_fraction=0.8, duration=DURATION,
                min_segments=0.9):
    d = calllab.detect_sequence(r.callee_wav, seq)
    print("  bob's recording: %.1f s, %.0f %% of %d windows and %.0f %% "
          "of %d segments match the sequence, lag %.2f s" % (
              d["recorded_s"], 100 * d["fraction"], d["windows"],
              100 * d["segment_fraction"], d["segments"], d["lag_s"] or 0))
    # bob's call lasts `duration` from his answer; his recording starts at
    # his first decoded audio, which ICE delays (by seconds under loss)
    late = 0.0
    fa, st = r.callee.get("first_audio_ms"), r.callee.get("setup_ms")
    if fa is not None and st is not None:
        late = max(0.0, (fa - st) / 1000.0)
    check(late < 4.0, "bob's first audio came %.1f s after his answer" % late)
    expect = duration - late
    check(d["recorded_s"] >= expect - 1.2,
          "bob recorded %.1f s of the %.1f s from his first audio to the "
          "hang-up" % (d["recorded_s"], expect))
    check(d["windows"] >= (expect - 1.7) * 100,
          "the recording covers %d windows of the sequence only" %
          d["windows"])
    check(d["segment_fraction"] >= min_segments,
          "only %.0f %% of the tone segments came through" %
          (100 * d["segment_fraction"]))
    check(d["fraction"] >= min_fraction,
          "bob's recording matches the sent sequence in %.0f %% of the "
          "windows only" % (100 * d["fraction"]))
    ratio = calllab.tone_power_ratio(r.caller_wav, CALLEE_TONE)
    print("  alice's recording: %g Hz tone %.0f times stronger than others"
          % (CALLEE_TONE, ratio))
    check(ratio > 100, "no %d Hz tone in alice's recording (ratio %.1f)" %
          (CALLEE_TONE, ratio))
    return d


def check_wire(r, lab):
    plaintext = r.caller_log.replace(".log", "-plaintext.hex")
    s = calllab.srtp_check(r.pcap, r.caller["srtp_profile"], plaintext,
                           local_addr=lab.env["LAB_ADDR_A"])
    print("  wire (rtr-a lan0): %d messages: %d STUN, %d SRTP (%d from A, "
          "%d to A), %d SRTCP, %d other; most common first payload byte "
          "%.1f %%; %d plaintext payloads known, %d found" % (
              s["packets"], s["stun"], s["srtp"], s["srtp_from_local"],
              s["srtp_to_local"], s["srtcp"], s["other"],
              100 * (s["first_byte_share"] or 0), s["plaintext_known"],
              s["plaintext_hits"]))
    check(s["other"] == 0, "%d packets on the wire are neither STUN nor "
          "SRTP/SRTCP: %s" % (s["other"], s["other_samples"]))
    check(s["bad_srtp"] == 0 and s["bad_srtcp"] == 0,
          "%d RTP / %d RTCP packets without the SRTP trailer of %s" % (
              s["bad_srtp"], s["bad_srtcp"], r.caller["srtp_profile"]))
    check(s["srtp_from_local"] >= 0.9 * r.caller["rtp_sent"],
          "the capture holds %d SRTP packets from A, alice sent %d" % (
              s["srtp_from_local"], r.caller["rtp_sent"]))
    check(s["srtp_to_local"] >= 0.9 * r.caller["rtp_received"],
          "the capture holds %d SRTP packets to A, alice received %d" % (
              s["srtp_to_local"], r.caller["rtp_received"]))
    check(s["srtcp"] > 0, "no SRTCP on the wire")
    check(s["plaintext_known"] >= 100 and s.get("plaintext_selfcheck"),
          "the plaintext log is unusable (%d payloads)" %
          s["plaintext_known"])
    check(s["plaintext_hits"] == 0, "%d packets on the wire carry alice's "
          "Opus payload in clear" % s["plaintext_hits"])
    check(s["first_byte_share"] < 0.1, "%.0f %% of SRTP payloads start "
          "with the same byte: not encrypted?" % (
              100 * s["first_byte_share"]))
    # the control: the same payloads in clear RTP fail both checks
    c = calllab.srtp_check(calllab.plain_rtp_control(
        plaintext, r.pcap + ".plain.pcap"), r.caller["srtp_profile"],
        plaintext, local_addr=lab.env["LAB_ADDR_A"])
    print("  control (alice's payloads in clear RTP): %d of %d packets "
          "caught, most common first payload byte %.0f %%" % (
              c["plaintext_hits"], c["srtp"], 100 * c["first_byte_share"]))
    check(c["plaintext_hits"] >= 0.9 * c["srtp"] and
          c["first_byte_share"] > 0.5,
          "the check would not catch RTP in clear: %s" % c)


def path_of(j):
    return (j.get("local_type"), j.get("local_proto"), j.get("remote_type"),
            j.get("relay_proto"))


def media_call(lab, tmp, name, **kw):
    seq = calllab.make_tone_sequence(os.path.join(tmp, "seq.wav"),
                                     SEQ_SECONDS)
    args = ["--log-plaintext", os.path.join(lab.out_dir, name +
                                            "-caller-plaintext.hex")]
    r = lab.call(name=name, duration=DURATION, send=seq.path,
                 callee_tone=CALLEE_TONE, caller_args=args + LATENCY,
                 callee_args=LATENCY, capture="rtr-a", **kw)
    return r, seq


def report(r):
    for role in ("caller", "callee"):
        j = getattr(r, role)
        print("  %s: %s, path %s/%s -> %s (relay %s), setup %s ms, first "
              "audio %s ms, %s RTP sent, %s received, loss %s %%, jitter %s "
              "ms, RTT %s ms, MOS %s, %s" % (
                  role, j.get("case"), j.get("local_type"),
                  j.get("local_proto"), j.get("remote_type"),
                  j.get("relay_proto"), j.get("setup_ms"),
                  j.get("first_audio_ms"), j.get("rtp_sent"),
                  j.get("rtp_received"), j.get("loss_pct"),
                  j.get("jitter_ms"), j.get("rtt_ms"), j.get("mos"),
                  j.get("srtp_profile")))


def case_path(lab, tmp, kind):
    r, seq = media_call(lab, tmp, kind)
    report(r)
    check_ok(r)
    for role in ("caller", "callee"):
        j = getattr(r, role)
        check(j["srtp_profile"] == "AEAD_AES_128_GCM",
              "%s: SRTP profile %s" % (role, j["srtp_profile"]))
        if kind == "direct":
            check(path_of(j)[:3] == ("host", "udp", "host") and
                  j["case"] == "direct", "%s: path %s" % (role, j))
        elif kind == "nat":
            check(j["local_proto"] == "udp" and j["case"] == "nat" and
                  "relay" not in (j["local_type"], j["remote_type"]) and
                  j["remote_type"] in ("srflx", "prflx"),
                  "%s: path %s" % (role, path_of(j)))
        elif kind == "symmetric":
            check(j["case"] == "relay", "%s: path %s is not relayed" % (
                role, path_of(j)))
    a = r.caller
    if kind == "symmetric" and a["local_type"] == "relay":
        check(a["relay_proto"] == "udp", "A relays over %s" %
              a["relay_proto"])
    if kind == "udp-blocked":
        check(a["local_proto"] == "tcp" or a["relay_proto"] == "tcp",
              "A's path %s has no TCP leg" % (path_of(a),))
    check_audio(r, seq)

    received = r.callee["rtp_received"]
    peer = r.counter("rtr-a", "udp-to-peer")
    turn = r.counter("rtr-a", "udp-to-turn")
    tcp = r.counter("rtr-a", "tcp-to-turn") + r.counter("rtr-a",
                                                        "tcp-to-peer")
    udp = peer + turn
    print("  rtr-a: udp-to-peer %d, udp-to-turn %d, tcp-to-turn/peer %d, "
          "tcp-to-other (controller) %d" % (
              peer, turn, tcp, r.counter("rtr-a", "tcp-to-other")))
    if kind in ("direct", "nat"):
        check(peer >= 0.9 * received, "rtr-a forwarded %d UDP packets to "
              "B, bob received %d: %s" % (peer, received, r.changed()))
        check(turn < 50, "rtr-a sent %d UDP packets to coturn" % turn)
    elif kind == "symmetric":
        check(turn >= 0.9 * received, "rtr-a sent only %d UDP packets to "
              "coturn, bob received %d" % (turn, received))
        check(peer < 50, "rtr-a sent %d UDP packets straight to B" % peer)
    elif kind == "udp-blocked":
        check(tcp >= 0.9 * received, "rtr-a forwarded only %d TCP packets "
              "to coturn or B, bob received %d" % (tcp, received))
        check(udp == 0, "rtr-a forwarded %d UDP packets" % udp)
        check(r.counter("rtr-a", "udp-block-out") > 0,
              "A never tried UDP (udp-block-out is 0)")
    check(r.counter("rtr-a", "tcp-to-other") > 0,
          "no signaling reached the controller through rtr-a")
    check_wire(r, lab)


def case_decline(lab, tmp):
    r = lab.call(name="decline", caller_args=["--expect-end", "603"],
                 callee_args=["--decline", "--expect-end", "603"],
                 stats=False)
    check_ok(r, 603)
    check(r.callee["hung_up_here"] and not r.caller["hung_up_here"],
          "bob should have declined: %s / %s" % (r.caller, r.callee))
    check(r.caller["setup_ms"] is None and r.caller["rtp_sent"] == 0,
          "the declined call became active: %s" % r.caller)
    print("  both ended with 603, no error")


def case_cancel(lab, tmp):
    r = lab.call(name="cancel", caller_args=["--cancel-after", "0.3",
                                             "--expect-end", "487"],
                 callee_args=["--answer-after", "10", "--expect-end",
                              "487"], stats=False)
    check_ok(r, 487)
    check(r.caller["hung_up_here"] and not r.callee["hung_up_here"],
          "alice should have cancelled: %s / %s" % (r.caller, r.callee))
    check(r.callee["setup_ms"] is None, "the cancelled call was answered")
    print("  both ended with 487, no error")


def case_lossy(lab, tmp):
    seq = calllab.make_tone_sequence(os.path.join(tmp, "seq.wav"),
                                     SEQ_SECONDS)
    r = lab.call(name="lossy", duration=DURATION, send=seq.path,
                 callee_tone=CALLEE_TONE, caller_args=LATENCY,
                 callee_args=LATENCY)
    report(r)
    check_ok(r)
    # loss also hits ICE checks: the pair may switch mid-call (relay to
    # srflx), which moves the lag of a segment or two
    check_audio(r, seq, min_fraction=0.7, min_segments=0.8)
    dropped = (r.counter("rtr-a", "loss-drop-out") +
               r.counter("rtr-a", "loss-drop-in"))
    print("  rtr-a dropped %d packets; bob reports %.1f %% loss, alice "
          "%.1f %%" % (dropped, r.callee["loss_pct"], r.caller["loss_pct"]))
    check(dropped > 30, "the lossy router dropped only %d packets" %
          dropped)
    check(r.callee["loss_pct"] >= 3, "bob reports %.1f %% loss behind a "
          "10 %% lossy router" % r.callee["loss_pct"])
    series = r.series("callee")
    check(series and max(s["interval_loss_pct"] for s in series) > 0,
          "no loss in bob's statistics series")


def case_hangup(lab, tmp):
    """bob hangs up 2 s into a call alice would keep for 20 s, then the
    reverse, in the same lab"""
    for who, a_dur, b_dur in (("callee", 20, 2), ("caller", 2, 20)):
        r = lab.call(name="hangup-" + who, duration=a_dur,
                     callee_duration=b_dur, tone=440,
                     callee_tone=CALLEE_TONE, stats=False)
        report(r)
        check_ok(r)
        other = "caller" if who == "callee" else "callee"
        check(getattr(r, who)["hung_up_here"] and
              not getattr(r, other)["hung_up_here"],
              "the %s should have hung up: %s / %s" % (who, r.caller,
                                                       r.callee))
        for role in ("caller", "callee"):
            check(getattr(r, role)["recording_complete"] is True,
                  "%s: EOS never reached the recorder" % role)
        check(calllab.tone_power_ratio(r.callee_wav, 440, seconds=1.0) >
              100, "no 440 Hz tone in bob's recording")
        print("  the %s hung up; both ended with 200 and EOS, no error" %
              who)


def case_controller_restart(lab, tmp):
    seq = calllab.make_tone_sequence(os.path.join(tmp, "seq.wav"),
                                     SEQ_SECONDS + 4)

    def restart(lab, r):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(r.callee_log, errors="replace") as f:
                if "call active" in f.read():
                    break
            time.sleep(0.05)
        else:
            raise CaseFailure("the call never became active")
        time.sleep(2)
        t = time.monotonic()
        lab.restart_controller()
        return t

    r = lab.call(name="restart", duration=DURATION + 4, send=seq.path,
                 callee_tone=CALLEE_TONE, during=restart, caller_args=LATENCY,
                 callee_args=LATENCY)
    report(r)
    check_ok(r)
    check_audio(r, seq, duration=DURATION + 4)
    # from the stats line before the restart to the last one: packets
    # came in every interval, about 50 a second on average
    series = r.series("callee")
    t_restart = r.during - r.callee_started
    late = [s for s in series if s["t"] >= t_restart - 1.0]
    check(len(late) >= 4, "bob's stats stop %d lines after the restart" %
          len(late))
    counts = [s["rtp_received"] for s in late]
    rate = (counts[-1] - counts[0]) / (late[-1]["t"] - late[0]["t"])
    print("  from the restart on bob received %s packets (%.0f/s)" %
          (counts, rate))
    check(all(b > a for a, b in zip(counts, counts[1:])),
          "media stopped after the controller restart: %s" % counts)
    check(rate > 40, "media slowed after the controller restart: %.0f "
          "packets/s" % rate)
    with open(r.callee_log, errors="replace") as f:
        text = f.read()
    check(text.count("controller connected") >= 2,
          "bob never reconnected to the restarted controller")


def case_speech(lab, tmp):
    """A spoken sample (espeak-ng, with pauses: Opus DTX sends nothing in
    them) until its end, which hangs up: the recording keeps the pauses
    and follows the speech's loudness envelope"""
    speech = calllab.make_speech(os.path.join(tmp, "speech.wav"))
    r = lab.call(name="speech", duration=30, send=speech,
                 callee_tone=CALLEE_TONE, stats=False, caller_args=LATENCY,
                 callee_args=LATENCY)
    report(r)
    check_ok(r)
    c = calllab.correlate(speech, r.callee_wav)
    print("  bob's recording follows the speech's envelope: correlation "
          "%.2f over %.1f s at lag %.2f s" % (c["peak"], c["overlap_s"],
                                             c["lag_s"]))
    check(c["overlap_s"] >= 4.0, "only %.1f s of speech recorded" %
          c["overlap_s"])
    check(c["peak"] >= 0.7, "the recording does not follow the speech "
          "(envelope correlation %.2f)" % c["peak"])


def case_video(lab, tmp):
    """Audio and VP8 video both ways through the TURN relay (symmetric
    NAT), BUNDLEd on one path: each end decodes the other's colour at the
    sent rate and size, bob hears alice's tone sequence"""
    seq = calllab.make_tone_sequence(os.path.join(tmp, "seq.wav"),
                                     SEQ_SECONDS)
    r = lab.call(name="video", duration=DURATION, send=seq.path,
                 callee_tone=CALLEE_TONE,
                 caller_args=LATENCY + ["--video", "--video-color", "0000ff"],
                 callee_args=LATENCY + ["--video", "--video-color", "00ff00"])
    report(r)
    check_ok(r)
    check_audio(r, seq)
    for role, rgb in (("caller", (0, 255, 0)), ("callee", (0, 0, 255))):
        j = getattr(r, role)
        frames = j.get("video_frames_received") or 0
        # 15 fps sent for DURATION s from the answer; the first frames wait
        # for ICE and a keyframe
        check(frames >= 10 * (DURATION - 2),
              "%s decoded %d video frames in a %d s call" % (role, frames,
                                                           DURATION))
        check((j.get("video_width"), j.get("video_height")) == (320, 240),
              "%s: video of %sx%s" % (role, j.get("video_width"),
                                      j.get("video_height")))
        got = j.get("video_mean_rgb") or (-255, -255, -255)
        check(all(abs(g - w) < 24 for g, w in zip(got, rgb)),
              "%s received colour %s, not %s" % (role, got, rgb))
        print("  %s: %d video frames, first after %.0f ms, colour %s" % (
            role, frames, j.get("first_video_ms") or -1, got))
    check("relay" in (r.caller.get("local_type"), r.caller.get("remote_type")),
          "the video call did not take the relay: %s" % r.caller)


CASES = {
    "speech": ("nat", case_speech),
    "video": ("symmetric", case_video),
    "direct": ("direct", lambda lab, tmp: case_path(lab, tmp, "direct")),
    "nat": ("nat", lambda lab, tmp: case_path(lab, tmp, "nat")),
    "symmetric": ("symmetric",
                  lambda lab, tmp: case_path(lab, tmp, "symmetric")),
    "udp-blocked": ("udp-blocked",
                    lambda lab, tmp: case_path(lab, tmp, "udp-blocked")),
    "decline": ("direct", case_decline),
    "cancel": ("direct", case_cancel),
    "lossy": ("lossy", case_lossy),
    "hangup": ("nat", case_hangup),
    "controller-restart": ("nat", case_controller_restart),
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: call_case.py %s" % "|".join(CASES), file=sys.stderr)
        return 2
    name = sys.argv[1]
    topology, func = CASES[name]
    if os.geteuid() != 0:
        print("call_case: must run as root (network namespaces)",
              file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="acs-call-case-")
    lab = calllab.CallLab(topology, name=name,
                          out_dir=os.path.join(tmp, "out"), keep=False)
    ok = False
    try:
        with lab:
            func(lab, tmp)
        print("%s: ok" % name)
        ok = True
        return 0
    except (CaseFailure, calllab.LabError) as e:
        print("%s: FAILED: %s" % (name, e), file=sys.stderr)
        for f in sorted(os.listdir(lab.out_dir)) if os.path.isdir(
                lab.out_dir) else []:
            if f.endswith(".log"):
                with open(os.path.join(lab.out_dir, f),
                          errors="replace") as fh:
                    print("--- %s:\n%s" % (f, fh.read()[-3000:]),
                          file=sys.stderr)
        return 1
    finally:
        if ok and not os.environ.get("CALL_CASE_KEEP"):
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept %s" % tmp)


if __name__ == "__main__":
    sys.exit(main())
