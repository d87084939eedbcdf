#!/bin/sh
# Per-packet cost of acssrtpenc/acssrtpdec against srtpenc/srtpdec and a
# bare libsrtp2 loop, wall time and callgrind instruction counts. See
# docs/performance.md. Usage:
#
#   bench/run.sh [acs-srtp-bench options]    (--help lists them)
#
# BUILD_DIR (default build-bench, relative to the repository) is configured
# and built if needed; dependencies are assumed installed
# (scripts/install-deps.sh). The table and the JSON lines go to stdout,
# progress to stderr.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build-bench}
case $build in
  /*) ;;
  *) build=$top/$build ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" -Dbenchmarks=enabled -Dtests=disabled \
    -Dexamples=disabled -Ddoc=disabled >&2
fi
ninja -C "$build" bench/acs-srtp-bench ext/srtp/libgstacssrtp.so >&2

GST_PLUGIN_PATH_1_0=$build/ext/srtp
GST_REGISTRY=$build/bench/bench.registry
GST_REGISTRY_FORK=no
export GST_PLUGIN_PATH_1_0 GST_REGISTRY GST_REGISTRY_FORK

exec "$build/bench/acs-srtp-bench" --callgrind-dir "$build/bench/callgrind" "$@"
