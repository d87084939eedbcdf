#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install the Debian packages the network lab (tests/lab/lab.sh and
# tests/lab/selftest.sh) needs.  Idempotent: only packages that dpkg does not
# report as installed are passed to apt-get.  Debian's coturn package does not
# start a system-wide turnserver (TURNSERVER_ENABLED is unset in
# /etc/default/coturn); the lab runs its own turnserver inside a namespace.

set -eu

PACKAGES="iproute2 iptables coturn openssl iputils-ping procps socat netcat-openbsd python3"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "lab: all packages present: $PACKAGES"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "lab: missing packages:$missing; run this script as root" >&2
  exit 1
fi

echo "lab: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing || {
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
}
