#!/bin/sh
# The main job on embedded defaults, all on loopback:
#  1. a real call: acs-controller starts with a fresh state directory (its
#     self-signed certificate and token secret are made at first start),
#     two users get tokens, `acs-call --answer` waits as bob and
#     `acs-call --call bob` calls from alice: signaling over HTTPS, ICE,
#     SRTP (AEAD_AES_128_GCM with fresh SDES keys), Opus, 5 s of a tone
#     each way, hang-up; both JSON summaries are printed and bob's
#     recording is kept in demo-out/call-bob.wav;
#  2. for each SRTP profile, an Opus stream protected by acssrtpenc over an
#     ICE connection between two acsicebin (then once over plain UDP),
#     decrypted by acssrtpdec, with the SRTP statistics as JSON.
# Exits non-zero if the call fails or any packet is lost. Cleans up the
# controller and the callee it started, also on Ctrl-C.
set -eu
cd "$(dirname "$0")/.."

scripts/build.sh >/dev/null

export GST_PLUGIN_PATH_1_0="$PWD/build/ext/srtp:$PWD/build/ext/nice:$PWD/build/ext/soup:$PWD/build/gst/mixer:$PWD/build/gst/callbin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
mkdir -p demo-out
ctl_bin=./build/tools/controller/acs-controller
call_bin=./build/tools/call/acs-call

state=$(mktemp -d)
ctl_pid=""
bob_pid=""
cleanup() {
  if [ -n "$bob_pid" ]; then
    kill "$bob_pid" 2>/dev/null || true
  fi
  if [ -n "$ctl_pid" ]; then
    kill "$ctl_pid" 2>/dev/null || true
    wait "$ctl_pid" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== 1. a call from alice to bob through acs-controller (loopback)"
"$ctl_bin" --listen 127.0.0.1:0 --port-file "$state/port" \
    --state-dir "$state/ctl" 2> "$state/controller.log" &
ctl_pid=$!
i=0
while [ ! -s "$state/port" ]; do
  i=$((i + 1))
  [ $i -gt 300 ] && { echo "demo: the controller did not start" >&2; exit 1; }
  sleep 0.1
done
url="https://127.0.0.1:$(cat "$state/port")"
bob_token=$("$ctl_bin" mint-token --state-dir "$state/ctl" --user bob)
alice_token=$("$ctl_bin" mint-token --state-dir "$state/ctl" --user alice)

"$call_bin" --answer --controller "$url" --token "$bob_token" \
    --pinned-cert "$state/ctl/cert.pem" --interfaces 127.0.0.1 \
    --tone 660 --record demo-out/call-bob.wav --duration 5 --json \
    > "$state/bob.out" 2>&1 &
bob_pid=$!
# bob must be listening for calls before alice calls
i=0
until grep -q "waiting for a call" "$state/bob.out" 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 300 ] && { cat "$state/bob.out" >&2; exit 1; }
  sleep 0.1
done
"$call_bin" --call bob --controller "$url" --token "$alice_token" \
    --pinned-cert "$state/ctl/cert.pem" --interfaces 127.0.0.1 \
    --duration 5 --json > "$state/alice.out" 2>&1 || true
wait "$bob_pid" || true
bob_pid=""

ok=1
for who in alice bob; do
  summary=$(tail -n 1 "$state/$who.out")
  echo "$who: $summary"
  case $summary in
    *'"ok": true'*|*'"ok":true'*) ;;
    *) ok=0; echo "demo: the call failed for $who:" >&2
       cat "$state/$who.out" >&2 ;;
  esac
done
[ $ok = 1 ] || exit 1
echo "bob's recording: demo-out/call-bob.wav"

echo "== 2. SRTP profiles over ICE (and once over UDP)"
for profile in AEAD_AES_128_GCM AEAD_AES_256_GCM AES_CM_128_HMAC_SHA1_80 \
    AES_CM_128_HMAC_SHA1_32; do
  ./build/tools/acs-srtp-demo --profile "$profile" --seconds 2 \
      --output "demo-out/$profile.wav"
done
./build/tools/acs-srtp-demo --transport udp --seconds 2 \
    --output demo-out/AEAD_AES_128_GCM-udp.wav
