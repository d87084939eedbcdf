#!/bin/sh
# Configures and builds the tree in ./build (set-up shared by demo.sh and
# run-tests.sh). Installs the Debian packages first if any is missing.
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true
fi
ninja -C build
