#!/bin/sh
# The main job, on embedded defaults: one real call per call-flow case,
# in the network lab (network namespaces, NAT routers, a UDP firewall,
# coturn, all inside lab namespaces, never linked to the host's network):
#
#   direct       both devices on one subnet: host candidates
#   nat          each behind its own NAT: addresses learned from STUN
#   symmetric    A behind a symmetric NAT: through the TURN relay
#   udp-blocked  A's firewall drops UDP: TURN over TCP
#
# In each, acs-controller runs on the lab's public segment (HTTPS with its
# self-signed certificate, tokens, TURN credentials for coturn), and
# acs-call calls bob (namespace B) from alice (namespace A): signaling,
# ICE with the servers the controller hands out, SRTP with fresh SDES keys,
# Opus; alice sends a tone sequence, which is checked in what bob decodes.
#
# Prints a table (case, path chosen, setup time, first audio, audio
# received, loss, jitter, MOS) and writes demo-out/: calls.png and
# calls.svg (each call's packet rate and jitter over time), summary.json,
# and per case the recordings, logs and per-second statistics.
# Exits non-zero if a call fails. Tears the lab down also on Ctrl-C.
# Needs root (network namespaces). Options go to scripts/lab_demo.py
# (--cases, --duration, --out).
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root: the lab builds network namespaces" >&2
  exit 1
fi
scripts/build.sh >/dev/null

export GST_PLUGIN_PATH_1_0="$PWD/build/ext/srtp:$PWD/build/ext/nice:$PWD/build/ext/soup:$PWD/build/gst/mixer:$PWD/build/gst/callbin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export ACS_BUILD_DIR="$PWD/build"
exec /usr/bin/python3 scripts/lab_demo.py "$@"
