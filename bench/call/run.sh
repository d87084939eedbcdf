#!/bin/sh
# Call setup time and added audio latency of acscallbin / acs-call against
# webrtcbin in the network lab (issue 6, section 5). See
# docs/performance.md, "Calls (acscallbin, acs-call)". Usage:
#
#   sudo bench/call/run.sh [call_bench.py options]    (--help lists them)
#
# NEEDS ROOT: the lab (tests/lab/lab.sh) builds network namespaces. The lab
# dependencies are assumed installed (tests/lab/install-deps.sh,
# scripts/install-deps.sh: coturn, tshark, python3-gi, python3-numpy,
# gstreamer1.0-nice and -plugins-bad for webrtcbin). BUILD_DIR (default
# build-bcall, relative to the repository) is configured and built if
# needed. The tables and JSON lines go to stdout, progress to stderr; the
# calls' logs and results stay in --out-dir (default /tmp/acs-callbench-PID).
# The lab is torn down at the end, also on a failure or Ctrl-C (calllab).
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/call/run.sh: must run as root (network namespaces)" >&2
  exit 1
fi

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-build-bcall}
case $build in
  /*) ;;
  *) build=$top/$build ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" -Dtests=disabled -Dexamples=disabled \
    -Ddoc=disabled >&2
fi
ninja -C "$build" tools/call/acs-call tools/controller/acs-controller \
  ext/srtp/libgstacssrtp.so ext/nice/libgstacsnice.so \
  ext/soup/libgstacssoup.so gst/callbin/libgstacscallbin.so >&2

GST_PLUGIN_PATH_1_0=$build/ext/srtp:$build/ext/nice:$build/ext/soup:$build/gst/callbin
GST_REGISTRY_FORK=no
export GST_PLUGIN_PATH_1_0 GST_REGISTRY_FORK

echo "# $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# GStreamer $(pkg-config --modversion gstreamer-1.0), libnice $(pkg-config --modversion nice), gst-acs $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"

exec /usr/bin/python3 "$top/bench/call/call_bench.py" --build-dir "$build" \
  --with-acs-py "$@"
