#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gst-acs: runs acssrtpenc ! acssrtpdec in gst-launch-1.0 with every debug
# category at level 9 and checks that the master key appears nowhere in the
# log: not as hex (either case, with or without the salt, or as memdump
# bytes), not as a serialised GstBuffer, not as base64. A fresh random key
# is drawn on every run.
#
# gst-launch-1.0's own parser (gstparse.c, parse.l, grammar.y, types.h)
# echoes the pipeline description, key=... included, at DEBUG and LOG: that
# is the command line the user typed, not something an element can hide
# (an application sets the key with g_object_set()), so those lines, and
# only those, are left out of the search.

set -eu
export LC_ALL=C

GST_LAUNCH=${GST_LAUNCH:-gst-launch-1.0}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acs-keylog.XXXXXX")
# A registry of our own: a cached one may hold the plugin as blacklisted
# from a run without the sanitizer runtimes
export GST_REGISTRY="$tmp/registry.bin"
[ -n "${KEYLOG_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT INT TERM

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# hex of $2 random bytes from /dev/urandom, lowercase, no spaces
random_hex () {
  od -An -v -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

hex_to_bin () {
  printf "$(echo "$1" | sed 's/\(..\)/\\x\1/g')"
}

b64_of_hex () {
  hex_to_bin "$1" | base64 -w0
}

# Checks $1 (log) for every form of the key||salt $2 (hex) whose master key
# is $3 bytes long
check_log () {
  log=$1
  keysalt=$2
  keylen=$3
  name=$4

  size=$(wc -c < "$log")
  [ "$size" -gt 1000000 ] || fail "$name: log only $size bytes: did it run?"
  grep -a -q 'acssrtpdec' "$log" || fail "$name: no acssrtpdec lines in the log"
  grep -a -q 'acssrtpenc' "$log" || fail "$name: no acssrtpenc lines in the log"
  grep -a -q 'rtpopusdepay' "$log" || fail "$name: no rtpopusdepay lines"
  # Packets went through the decoder: its session was made
  grep -a -q 'acssrtpdec.*session ready' "$log" \
      || fail "$name: acssrtpdec never made a session"

  key=$(echo "$keysalt" | cut -c1-$((keylen * 2)))
  upper=$(echo "$keysalt" | tr 'a-f' 'A-F')
  key_upper=$(echo "$key" | tr 'a-f' 'A-F')
  b64=$(b64_of_hex "$keysalt")
  key_b64=$(b64_of_hex "$key")
  # The characters that depend on the master key only: they are in the
  # base64 of the key alone and of the key followed by the salt
  key_b64_prefix=$(echo "$key_b64" | cut -c1-$((keylen * 8 / 6)))
  # GST_MEMDUMP style: "e1 f9 7a 0d ..."
  spaced=$(echo "$key" | cut -c1-16 | sed 's/\(..\)/\1 /g; s/ $//')
  spaced_upper=$(echo "$spaced" | tr 'a-f' 'A-F')

  filtered="$log.filtered"
  grep -a -v -E \
      ' (gstparse\.c|parse\.l|grammar\.y|grammar\.tab\.c|types\.h):[0-9]+:(gst_parse|priv_gst_parse|_gst_parse)' \
      "$log" > "$filtered" || true
  echoed=$(grep -a -F -c -e "$keysalt" -e "$b64" "$log" || true)
  echo "$name: gst-launch-1.0's parser echoed the key on $echoed lines"

  for pattern in "$keysalt" "$upper" "$key" "$key_upper" \
      "(buffer)$keysalt" "$b64" "$key_b64" "$key_b64_prefix" \
      "$spaced" "$spaced_upper"; do
    if grep -a -F -q -e "$pattern" "$filtered"; then
      grep -a -F -n -m3 -e "$pattern" "$filtered" | cut -c1-200 >&2
      fail "$name: the key appears in the debug log (pattern '$pattern')"
    fi
  done
  echo "ok: $name: $size bytes of log, no key material"
}

# Only the installed plugins the pipeline needs are scanned: quicker, and
# the same set whatever else is installed (and whatever a `meson test
# --setup` puts in the system plugin path)
GST_SYSTEM_PLUGINS_DIR=${GST_SYSTEM_PLUGINS_DIR:-/usr/lib/x86_64-linux-gnu/gstreamer-1.0}
mkdir "$tmp/plugins"
for p in coreelements audiotestsrc opus rtp; do
  [ -f "$GST_SYSTEM_PLUGINS_DIR/libgst$p.so" ] \
      || fail "libgst$p.so is not in $GST_SYSTEM_PLUGINS_DIR (install gstreamer1.0-plugins-base and -good)"
  ln -s "$GST_SYSTEM_PLUGINS_DIR/libgst$p.so" "$tmp/plugins/"
done
export GST_PLUGIN_SYSTEM_PATH_1_0="$tmp/plugins"

# A sanitizer build of the plugin runs in gst-launch-1.0, which is not
# instrumented: load the sanitizer runtimes first, and leave leak checking
# (and its slow stack unwinding) to the gst-check tests.
preload=
for dir in $(echo "${GST_PLUGIN_PATH_1_0:-}" | tr ':' ' '); do
  if [ -f "$dir/libgstacssrtp.so" ]; then
    preload=$(ldd "$dir/libgstacssrtp.so" |
        awk '/lib(a|ub)san\.so/ { printf "%s%s", sep, $3; sep=":" }')
  fi
done
if [ -n "$preload" ]; then
  export LD_PRELOAD="$preload"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:fast_unwind_on_malloc=1"
fi

run () {
  name=$1
  shift
  log="$tmp/$name.log"
  GST_DEBUG='*:9' GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE="$log" \
      "$GST_LAUNCH" -q audiotestsrc num-buffers=100 ! opusenc ! rtpopuspay ! \
      "$@" ! rtpopusdepay ! fakesink > "$tmp/$name.out" 2>&1 \
      || { cat "$tmp/$name.out" >&2; fail "$name: gst-launch-1.0 failed"; }
}

# AEAD_AES_128_GCM, the default profile: 16-byte key, 12-byte salt
keysalt=$(random_hex 28)
run key acssrtpenc key="$keysalt" ! acssrtpdec key="$keysalt"
check_log "$tmp/key.log" "$keysalt" 16 key

# AES_CM_128_HMAC_SHA1_80 from an SDES inline key: 16-byte key, 14 salt
keysalt=$(random_hex 30)
inline="inline:$(b64_of_hex "$keysalt")|2^31"
run inline acssrtpenc profile=AES_CM_128_HMAC_SHA1_80 inline-key="$inline" \
    ! acssrtpdec profile=AES_CM_128_HMAC_SHA1_80 inline-key="$inline"
check_log "$tmp/inline.log" "$keysalt" 16 inline

# AEAD_AES_256_GCM with a random key the encoder makes; the decoder learns
# it from the caps (caps-key=true), as with srtpenc
run random acssrtpenc profile=AEAD_AES_256_GCM random-key=true caps-key=true \
    ! acssrtpdec
grep -a -q 'acssrtpdec.*session ready' "$tmp/random.log" \
    || fail "random: acssrtpdec never made a session"
echo "ok: random"
