#!/bin/sh
# The whole group audio path (issue 7, benchmark (b)): the batched path
# (one acssrtpdec, acsspeakerselect, K decodes, acsmixer, K + 1 encodes, one
# acssrtpfanout) and the gated one (a chain per member), against decoding
# everyone into N audiomixers, with SRTP both ways, in CPU seconds per
# second of audio (see docs/performance.md, "acsmixer", and
# docs/design/group-path.md). --live paces the packets in real time and
# fails a run whose packets do not come out in time or that posts an
# error. Usage:
#
#   bench/mixer/run-group.sh [acs-group-bench options]   (--help lists them)
#
# BUILD_DIR (default build-mix, relative to the repository) is configured
# and built if needed (the acsmixer and acssrtp plugins); the benchmark is
# compiled into it with the plugins' flags (-O2). JSON lines go to stdout,
# the table and progress to stderr.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-build-mix}
case $build in
  /*) ;;
  *) build=$top/$build ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
ninja -C "$build" gst/mixer/libgstacsmixer.so ext/srtp/libgstacssrtp.so >&2

mkdir -p "$build/bench/mixer"
exe=$build/bench/mixer/acs-group-bench
if [ ! -x "$exe" ] || [ "$top/bench/mixer/acsgroupbench.c" -nt "$exe" ] \
    || [ "$top/bench/mixer/benchutil.h" -nt "$exe" ] \
    || [ "$top/gst-libs/acs/acsdecoderreset.h" -nt "$exe" ]; then
  cg=
  if [ -f /usr/include/valgrind/callgrind.h ]; then
    cg=-DHAVE_VALGRIND_CALLGRIND_H
  fi
  ${CC:-cc} -O2 -g -std=gnu11 -Wall $cg -I"$top/gst-libs" -o "$exe" \
    "$top/bench/mixer/acsgroupbench.c" \
    $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-rtp-1.0) -lm >&2
fi

GST_PLUGIN_PATH_1_0=$build/gst/mixer:$build/ext/srtp
GST_REGISTRY=$build/bench/mixer/group.registry
GST_REGISTRY_FORK=no
export GST_PLUGIN_PATH_1_0 GST_REGISTRY GST_REGISTRY_FORK

exec "$exe" "$@"
