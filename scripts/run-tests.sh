#!/bin/sh
# The whole test suite, as CI runs it (.ci/run calls the README's line):
#  1. installs missing Debian packages, configures and builds ./build with
#     -Dwerror=true (scripts/build.sh);
#  2. runs every suite there but the benchmarks: unit (gst-check and
#     GstHarness tests), lint (gst-indent formatting check, documentation
#     check with G_DEBUG=fatal_criticals gst-inspect-1.0), lab and slow when
#     they exist;
#  3. builds ./build-asan with clang, AddressSanitizer, UBSan and
#     LeakSanitizer and the libFuzzer targets, and runs the unit suite again
#     under the `asan` test setup plus the bounded fuzz runs.
set -eu
cd "$(dirname "$0")/.."

scripts/build.sh
meson test -C build --no-suite fuzz --print-errorlogs

if [ ! -f build-asan/build.ninja ]; then
  CC=clang meson setup build-asan -Db_sanitize=address,undefined \
      -Db_lundef=false -Dfuzzing=enabled -Dwerror=true
fi
ninja -C build-asan
# The unit suite first, then the fuzzers: a libFuzzer run keeps a core busy
# for its whole time, and timing-sensitive unit tests (ICE, TLS timeouts)
# must not share the two cores with them
meson test -C build-asan --setup asan --suite unit --print-errorlogs
meson test -C build-asan --setup asan --suite fuzz --print-errorlogs
