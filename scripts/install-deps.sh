#!/bin/sh
# Installs every Debian 12 package that gst-acs needs to build, test and
# benchmark. Idempotent: it only calls apt-get when a package is missing.
# Must run as root (CI does); otherwise it uses sudo when available.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsrtp2-dev libnice-dev gstreamer1.0-nice libsoup-3.0-dev libjson-glib-dev
  glib-networking openssl curl wrk
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  python3 python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0
  indent valgrind git
  tshark python3-numpy python3-matplotlib espeak-ng
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  # The network lab's own packages (coturn, iptables, ...)
  [ -f tests/lab/install-deps.sh ] && sh tests/lab/install-deps.sh >/dev/null
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: missing packages:$missing; run this script as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
[ -f tests/lab/install-deps.sh ] && sh tests/lab/install-deps.sh >/dev/null
exit 0
