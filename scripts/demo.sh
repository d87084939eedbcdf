#!/bin/sh
# The main job on embedded defaults: for each SRTP profile, an Opus stream
# protected by acssrtpenc goes over an ICE connection between two acsicebin
# elements on loopback (then once over plain UDP), acssrtpdec decrypts
# it, the audio lands in demo-out/<profile>.wav, and the SRTP statistics of
# both ends are printed as JSON. Exits non-zero if any packet is lost.
set -eu
cd "$(dirname "$0")/.."

scripts/build.sh >/dev/null

export GST_PLUGIN_PATH_1_0="$PWD/build/ext/srtp:$PWD/build/ext/nice${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
for profile in AEAD_AES_128_GCM AEAD_AES_256_GCM AES_CM_128_HMAC_SHA1_80 \
    AES_CM_128_HMAC_SHA1_32; do
  ./build/tools/acs-srtp-demo --profile "$profile" --seconds 2 \
      --output "demo-out/$profile.wav"
done
./build/tools/acs-srtp-demo --transport udp --seconds 2 \
    --output demo-out/AEAD_AES_128_GCM-udp.wav
