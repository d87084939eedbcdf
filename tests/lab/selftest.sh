#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Self-test of the network lab: builds every topology with tests/lab/lab.sh and
# checks with simple tools (ping, socat, STUN probes, coturn's turnutils) that
# it behaves as docs/lab.md says, then that `down` leaves nothing behind.
# Needs root.  Exit 0 if every check passed, 1 if one failed or when not
# run as root (a test that needs root fails without it; it never skips).  Run one topology: selftest.sh nat
# (lab.env's variables are sourced at run time; awk programs are single-quoted)
# shellcheck disable=SC2016,SC2153

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/lab.sh
PROBE=$HERE/stunprobe.py

if [ "$(id -u)" != 0 ]; then
  echo "lab selftest: FAIL: needs root (network namespaces, iptables)" >&2
  exit 1
fi
for c in ip ss iptables turnserver turnutils_uclient openssl ping socat python3 timeout; do
  command -v "$c" >/dev/null 2>&1 ||
    { echo "lab selftest: FAIL: '$c' missing; run tests/lab/install-deps.sh" >&2; exit 1; }
done

LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/acs-lab-selftest.XXXXXX")
LAB_PREFIX=acst$$-
export LAB_DIR LAB_PREFIX

passed=0
failed=0
start=$(date +%s)

bgpid=""

cleanup() {
  if [ -n "$bgpid" ]; then
    kill -TERM "$bgpid" 2>/dev/null || true
    wait "$bgpid" 2>/dev/null || true
  fi
  "$LAB" down >/dev/null 2>&1 || true
  if [ "$failed" = 0 ]; then
    rm -rf "$LAB_DIR"
  else
    echo "# logs kept in $LAB_DIR" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
  passed=$((passed + 1))
  echo "ok $((passed + failed)) - $TOPO: $1"
}

not_ok() {
  failed=$((failed + 1))
  echo "not ok $((passed + failed)) - $TOPO: $1"
  if [ -s "$LAB_DIR/check.out" ]; then
    sed 's/^/#   /' "$LAB_DIR/check.out"
  fi
}

# Run CMD with its output in $LAB_DIR/check.out, in the background: a signal
# then interrupts `wait` and the trap cleans up at once, not after CMD ends.
bg() {
  local rc=0
  "$@" >"$LAB_DIR/check.out" 2>&1 </dev/null &
  bgpid=$!
  wait "$bgpid" || rc=$?
  bgpid=""
  return $rc
}

# check DESC CMD...: CMD must succeed.
check() {
  local desc=$1
  shift
  if bg "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# check_fails DESC CMD...: CMD must fail.
check_fails() {
  local desc=$1
  shift
  if bg "$@"; then not_ok "$desc"; else ok "$desc"; fi
}

# CMD's output is in $LAB_DIR/check.out for the next `want`.
run() {
  bg "$@" || true
}

# want DESC AWK-CONDITION: judge $LAB_DIR/check.out with awk.
want() {
  if awk "$2" "$LAB_DIR/check.out"; then ok "$1"; else not_ok "$1"; fi
}

lab() {
  "$LAB" "$@"
}

counter() {
  "$LAB" counter "$1" "$2"
}

counter_gt() {
  local v
  v=$(counter "$1" "$2") || return 1
  echo "$1 $2 = $v (want > $3)"
  [ "$v" -gt "$3" ]
}

probe() {
  local node=$1
  shift
  "$LAB" exec "$node" python3 "$PROBE" "$@"
}

# Hole punching between A (local port PA) and B (local port PB); B starts
# first, so its early datagrams hit A's router before A sent anything.
punch() {
  local pa=$1 pb=$2 t=$3
  LAB_PAIR_TIMEOUT=$((t + 5)) "$LAB" pair \
    "sleep 1; python3 '$PROBE' --punch $LAB_PUBLIC_B:$pb --local-port $pa --timeout $t" \
    "python3 '$PROBE' --punch $LAB_PUBLIC_A:$pa --local-port $pb --timeout $t"
}

uclient() {
  local node=$1
  shift
  "$LAB" exec "$node" timeout 10 turnutils_uclient -u "$LAB_TURN_USER" \
    -w "$LAB_TURN_PASS" -n 10 -z 5 "$@" "$LAB_TURN_ADDR"
}

# TURN Allocate (REST credentials) from NODE; extra args: --tcp, --tls ...
alloc() {
  local node=$1
  shift
  probe "$node" --allocate "$LAB_TURN_USER" "$LAB_TURN_PASS" "$@"
}

# A successful uclient run reports its counts; it must have lost nothing.
uclient_ok() {
  uclient "$@" >"$LAB_DIR/uclient.out" 2>&1 || { cat "$LAB_DIR/uclient.out"; return 1; }
  tail -n 8 "$LAB_DIR/uclient.out"
  grep -q 'tot_recv_msgs=[1-9]' "$LAB_DIR/uclient.out" &&
    grep -q 'Total lost packets 0 ' "$LAB_DIR/uclient.out"
}

up() {
  TOPO=$1
  if bg lab up "$1"; then
    ok "up"
  else
    not_ok "up"
    return 1
  fi
  set -a
  # shellcheck source=/dev/null
  . "$LAB_DIR/lab.env"
  set +a
}

nothing_left() {
  local left
  left=$(ip netns list | awk -v p="$LAB_PREFIX" 'index($1, p) == 1 { print $1 }')
  [ -z "$left" ] || { echo "namespaces left: $left"; return 1; }
  # Only looks: a turnserver started with this run's config file.
  if pgrep -f -- "$LAB_DIR/turnserver.conf" >/dev/null; then
    echo "a turnserver of this run still runs"
    return 1
  fi
}

down() {
  check "down" lab down
  check "down again (idempotent)" lab down
  check "no namespace, no turnserver left" nothing_left
}

# Mapped port of the Nth line of stunprobe output in check.out.
mapped_ports_equal_local() {
  awk '{ split($0, f, /local=|mapped=/); split(f[2], l, /[: ]/); split(f[3], m, /:/);
         if (m[1] != want || m[2] + 0 != l[2] + 0) bad = 1; n++ }
       END { exit (bad || n == 0) }' want="$1" "$LAB_DIR/check.out"
}

t_direct() {
  up direct || return 0
  check "A pings B ($LAB_ADDR_B)" lab exec a ping -c 3 -i 0.2 -W 1 "$LAB_ADDR_B"
  check "B pings A ($LAB_ADDR_A)" lab exec b ping -c 3 -i 0.2 -W 1 "$LAB_ADDR_A"
  run probe a --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR2:3478"
  if mapped_ports_equal_local "$LAB_ADDR_A"; then ok "STUN: A seen as itself (no NAT)"
  else not_ok "STUN: A seen as itself (no NAT)"; fi
  check "UDP between host addresses A and B" punch 40001 40002 4
  check "rtr-a forwarded UDP to B" counter_gt rtr-a udp-to-peer 5
  check "rtr-b forwarded UDP from A" counter_gt rtr-b udp-from-peer 5
  check "TURN allocation over UDP from A" alloc a "$LAB_TURN_ADDR:3478"
  down
}

t_nat() {
  up nat || return 0
  run probe a --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR:3479" "$LAB_TURN_ADDR2:3478"
  if mapped_ports_equal_local "$LAB_RTR_A_PUB"; then ok "STUN: RA maps A to $LAB_RTR_A_PUB, same port for 3 destinations"
  else not_ok "STUN: RA maps A to $LAB_RTR_A_PUB, same port for 3 destinations"; fi
  run probe b --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR:3479" "$LAB_TURN_ADDR2:3478"
  if mapped_ports_equal_local "$LAB_RTR_B_PUB"; then ok "STUN: RB maps B to $LAB_RTR_B_PUB, same port"
  else not_ok "STUN: RB maps B to $LAB_RTR_B_PUB, same port"; fi
  check "STUN over TCP from A" probe a --tcp "$LAB_TURN_ADDR:3478"
  check_fails "A cannot reach B's private address" lab exec a ping -c 2 -i 0.2 -W 1 "$LAB_ADDR_B"
  check "rtr-a counted the attempt as icmp-to-other" counter_gt rtr-a icmp-to-other 0
  check "hole punching A <-> B (B first)" punch 40001 40002 5
  check "rtr-a: UDP to RB" counter_gt rtr-a udp-to-peer 5
  check "rtr-a: UDP from RB" counter_gt rtr-a udp-from-peer 5
  check "rtr-b: UDP to RA" counter_gt rtr-b udp-to-peer 5
  check "TURN allocation over UDP from A" alloc a "$LAB_TURN_ADDR:3478"
  check "TURN allocation over TCP from A" alloc a --tcp "$LAB_TURN_ADDR:3478"
  check "TURN allocation over UDP from B" alloc b "$LAB_TURN_ADDR:3478"
  check_fails "a wrong TURN password is refused" \
    probe b --allocate "$LAB_TURN_USER" wrong "$LAB_TURN_ADDR:3478"
  check "rtr-a counted UDP to coturn" counter_gt rtr-a udp-to-turn 5
  check "rtr-a counted TCP to coturn" counter_gt rtr-a tcp-to-turn 5
  check "turn-stop" lab turn-stop
  check_fails "STUN fails while coturn is stopped" probe a --timeout 1 "$LAB_TURN_ADDR:3478"
  check "turn-start" lab turn-start
  check "STUN works again" probe a "$LAB_TURN_ADDR:3478"
  set -a
  # shellcheck source=/dev/null
  . "$LAB_DIR/lab.env"
  set +a
  down
}

t_symmetric() {
  up symmetric || return 0
  run probe a --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR:3479" "$LAB_TURN_ADDR2:3478"
  want "STUN: RA maps A to a new port per destination" '
    { split($0, f, /mapped=/); split(f[2], m, /:/); if (m[1] != "'"$LAB_RTR_A_PUB"'") bad = 1;
      if (m[2] in seen) bad = 1; seen[m[2]] = 1; n++ }
    END { exit (bad || n != 3) }'
  run probe b --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR2:3478"
  if mapped_ports_equal_local "$LAB_RTR_B_PUB"; then ok "STUN: RB is port-preserving"
  else not_ok "STUN: RB is port-preserving"; fi
  check_fails "hole punching A <-> B fails" punch 40001 40002 3
  check "TURN allocation over UDP from A" alloc a "$LAB_TURN_ADDR:3478"
  check "TURN allocation over TCP from A" alloc a --tcp "$LAB_TURN_ADDR:3478"
  check "TURN relays data over UDP from A (turnutils_uclient -y)" uclient_ok a -y
  down
}

t_symmetric_both() {
  up symmetric-both || return 0
  run probe b --local-port 40000 "$LAB_TURN_ADDR:3478" "$LAB_TURN_ADDR2:3478"
  want "STUN: RB maps B to a new port per destination" '
    { split($0, f, /mapped=/); split(f[2], m, /:/); p[NR] = m[2] }
    END { exit !(NR == 2 && p[1] != p[2]) }'
  check "TURN allocation over UDP from B" alloc b "$LAB_TURN_ADDR:3478"
  down
}

t_udp_blocked() {
  up udp-blocked || return 0
  check_fails "STUN over UDP from A fails" probe a --timeout 1.5 "$LAB_TURN_ADDR:3478"
  check "rtr-a dropped A's UDP" counter_gt rtr-a udp-block-out 0
  check "STUN over TCP from A works" probe a --tcp "$LAB_TURN_ADDR:3478"
  check_fails "TURN over UDP from A fails" alloc a --timeout 1.5 "$LAB_TURN_ADDR:3478"
  check "TURN allocation over TCP from A" alloc a --tcp "$LAB_TURN_ADDR:3478"
  if [ -n "$LAB_TURN_TLS_PORT" ]; then
    check "TURN allocation over TLS from A (certificate verified)" \
      alloc a --tls --cafile "$LAB_TURN_TLS_CERT" "$LAB_TURN_ADDR:$LAB_TURN_TLS_PORT"
  fi
  check "TURN relays data over TCP from A (turnutils_uclient -t -y)" uclient_ok a -t -y
  check "rtr-a counted TCP to coturn" counter_gt rtr-a tcp-to-turn 10
  check "STUN over UDP from B works" probe b "$LAB_TURN_ADDR:3478"
  down
}

t_udp_blocked_public() {
  up udp-blocked-public || return 0
  check "A reaches public B over TCP" env LAB_PAIR_TIMEOUT=10 "$LAB" pair \
    "sleep 0.5; echo hello-from-a | socat -u STDIN TCP4:$LAB_ADDR_B:5000" \
    "timeout 5 socat -u TCP4-LISTEN:5000,reuseaddr STDOUT | grep -q hello-from-a"
  check "rtr-a counted TCP to B" counter_gt rtr-a tcp-to-peer 2
  check_fails "UDP from A to public B fails" punch 40001 40002 2
  check "rtr-a dropped A's UDP" counter_gt rtr-a udp-block-out 5
  down
}

t_lossy() {
  up lossy || return 0
  run lab exec a ping -q -c 1000 -i 0.002 -W 1 "$LAB_TURN_ADDR"
  # Each ping crosses the lossy router twice: 1 - 0.9^2 = 19% round-trip loss.
  want "about 19% of 1000 pings lost (10% each way)" '
    /packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) l = $i + 0;
      print "loss " l "%"; ok = (l >= 11 && l <= 28) } END { exit !ok }'
  run lab counters rtr-a
  want "rtr-a dropped about 10% of A's packets" '
    $2 == "loss-drop-out" { d = $3 } $2 == "icmp-to-turn" { f = $3 }
    END { r = d / (d + f); print "dropped " d " forwarded " f " ratio " r;
          exit !(d + f >= 900 && r > 0.05 && r < 0.15) }'
  down
}

t_failures() {
  TOPO=errors
  check_fails "up fails half-way (LAB_TEST_FAIL_AT=router-b)" \
    env LAB_TEST_FAIL_AT=router-b "$LAB" up nat
  check "nothing left after the half-built up" nothing_left
  run env LAB_TEST_FAIL_AT=env "$LAB" up nat
  want "up fails after coturn started (LAB_TEST_FAIL_AT=env)" '/failing on purpose/ { f = 1 } END { exit !f }'
  check "nothing left, coturn stopped" nothing_left
  check "up nat" lab up nat
  check_fails "a second up in the same LAB_DIR is refused" lab up nat
  check "down" lab down
  check_fails "exec without a lab fails" lab exec a true
  check_fails "unknown topology is refused" lab up no-such-topology
  check "nothing left" nothing_left
}

TESTS=${*:-direct nat symmetric symmetric-both udp-blocked udp-blocked-public lossy failures}
for t in $TESTS; do
  t0=$(date +%s)
  "t_${t//-/_}"
  echo "# $t: $(($(date +%s) - t0)) s"
done

echo "1..$((passed + failed))"
echo "# lab selftest took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
