#!/bin/sh
# Mix-minus cost of acsmixer against N audiomixers and a plain C loop, in
# CPU seconds per second of audio (see docs/performance.md, "acsmixer").
# Usage:
#
#   bench/mixer/run.sh [acs-mixer-bench options]   (--help lists them)
#
# BUILD_DIR (default build-mix, relative to the repository) is configured
# and built if needed; the benchmark itself is compiled into it with the
# same compiler flags as the plugin (-O2). JSON lines go to stdout, the
# table and progress to stderr.
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
ninja -C "$build" gst/mixer/libgstacsmixer.so >&2

mkdir -p "$build/bench/mixer"
exe=$build/bench/mixer/acs-mixer-bench
if [ ! -x "$exe" ] || [ "$top/bench/mixer/acsmixerbench.c" -nt "$exe" ] \
    || [ "$top/bench/mixer/benchutil.h" -nt "$exe" ]; then
  cg=
  if [ -f /usr/include/valgrind/callgrind.h ]; then
    cg=-DHAVE_VALGRIND_CALLGRIND_H
  fi
  ${CC:-cc} -O2 -g -std=gnu11 -Wall $cg -o "$exe" \
    "$top/bench/mixer/acsmixerbench.c" \
    $(pkg-config --cflags --libs gstreamer-1.0) -lm >&2
fi

GST_PLUGIN_PATH_1_0=$build/gst/mixer
GST_REGISTRY=$build/bench/mixer/bench.registry
GST_REGISTRY_FORK=no
export GST_PLUGIN_PATH_1_0 GST_REGISTRY GST_REGISTRY_FORK

exec "$exe" "$@"
