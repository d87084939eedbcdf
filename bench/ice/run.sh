#!/bin/sh
# ICE benchmark of acsicebin: connect time against webrtcbin in the network
# lab (connect_bench.py) and packet rate on loopback against
# udpsink/udpsrc on one core (acs-ice-rate, flow-controlled, then once
# more with the sender flooding the receiver). See docs/performance.md,
# "ICE (acsicebin)". Usage:
#
#   sudo bench/ice/run.sh [connect_bench.py options]
#
# NEEDS ROOT: the lab (tests/lab/lab.sh) builds network namespaces. The lab
# dependencies are assumed installed (tests/lab/install-deps.sh), and
# gstreamer1.0-plugins-bad, gstreamer1.0-nice and python3-gi for webrtcbin.
# BUILD_DIR (default build-icebench, relative to the repository) is
# configured and built if needed. Tables and JSON lines go to stdout,
# progress to stderr. RATE_ARGS passes options to acs-ice-rate (--seconds,
# --reps, --cpu, --size); SKIP_CONNECT=1 or SKIP_RATE=1 skip a part.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/ice/run.sh: must run as root (network namespaces)" >&2
  exit 1
fi

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-build-icebench}
case $build in
  /*) ;;
  *) build=$top/$build ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" -Dtests=disabled -Dexamples=disabled \
    -Ddoc=disabled >&2
fi
ninja -C "$build" ext/nice/libgstacsnice.so ext/srtp/libgstacssrtp.so >&2
# The rate benchmark is one C file outside the meson project
if [ ! -x "$build/acs-ice-rate" ] || [ -n "$(find "$top/bench/ice/acsicerate.c" \
    -newer "$build/acs-ice-rate")" ]; then
  # shellcheck disable=SC2046
  cc -O2 -g -Wall -std=gnu11 -o "$build/acs-ice-rate" \
    "$top/bench/ice/acsicerate.c" $(pkg-config --cflags --libs gstreamer-1.0)
fi

GST_PLUGIN_PATH=$build/ext/nice:$build/ext/srtp
GST_PLUGIN_PATH_1_0=$GST_PLUGIN_PATH
GST_REGISTRY_FORK=no
export GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0 GST_REGISTRY_FORK

echo "# $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "# GStreamer $(pkg-config --modversion gstreamer-1.0), libnice $(pkg-config --modversion nice), gst-acs $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"

status=0
if [ "${SKIP_CONNECT:-0}" != 1 ]; then
  /usr/bin/python3 "$top/bench/ice/connect_bench.py" "$@" || status=1
fi
if [ "${SKIP_RATE:-0}" != 1 ]; then
  GST_REGISTRY=$build/ice-rate.registry
  export GST_REGISTRY
  # shellcheck disable=SC2086
  "$build/acs-ice-rate" ${RATE_ARGS:-} || status=1
  # For information only: the same with a sender that floods the receiver
  # shellcheck disable=SC2086
  "$build/acs-ice-rate" ${RATE_ARGS:-} --window 0 || true
fi
exit $status
