#!/bin/sh
# Fails if GNU indent (gst-indent flags, .indent.pro) would change any
# tracked .c file. indent is run twice: one pass is not idempotent.
# Usage: check-format.sh [--fix]
set -eu
cd "$(dirname "$0")/.."

fix=no
[ "${1:-}" = "--fix" ] && fix=yes

if ! command -v indent >/dev/null 2>&1; then
  echo "check-format: GNU indent is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.c')
else
  files=$(find . -name '*.c' -not -path './build*' -not -path './_build*')
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
flags=$(grep -v "^#" .indent.pro)
for f in $files; do
  cp "$f" "$tmp/x.c"
  VERSION_CONTROL=none indent -npro $flags "$tmp/x.c"
  VERSION_CONTROL=none indent -npro $flags "$tmp/x.c"
  if ! cmp -s "$f" "$tmp/x.c"; then
    if [ "$fix" = yes ]; then
      cp "$tmp/x.c" "$f"
      echo "reformatted $f"
    else
      echo "check-format: $f is not gst-indent formatted:" >&2
      diff -u "$f" "$tmp/x.c" | head -40 >&2 || true
      bad=1
    fi
  fi
done
exit $bad
