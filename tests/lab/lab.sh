#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The gst-acs network lab: call-flow situations built for real in Linux network
# namespaces (veth, a bridge, iptables NAT/firewall/loss) with coturn on a
# "public" segment.  Nothing is linked to the host's own network: every veth
# pair is created inside lab namespaces.  See docs/lab.md.
#
#   lab.sh up TOPOLOGY       build a lab, start coturn, write $LAB_DIR/lab.env
#   lab.sh down              remove everything of the run in $LAB_DIR
#   lab.sh exec NODE CMD...  run CMD in a lab namespace (a b turn rtr-a rtr-b sw)
#   lab.sh pair CMD_A CMD_B  run one shell command in A and one in B at once
#   lab.sh counters [NODE]   print the routers' packet counters
#   lab.sh counter NODE NAME print one counter's packet count
#   lab.sh turn-stop | turn-start
#   lab.sh creds [TTL [NAME]]  print fresh TURN REST credentials
#   lab.sh stunprobe NODE [stunprobe.py args]  STUN binding test from NODE
#   lab.sh env | topologies | help
#
# Environment: LAB_DIR (default ${TMPDIR:-/tmp}/acs-lab), LAB_PREFIX (namespace
# name prefix, default acs<pid>-), LAB_LOSS (drop probability of the lossy
# router, default 0.1), LAB_PAIR_TIMEOUT (seconds, default 60), LAB_IPTABLES
# (default iptables; iptables-legacy also works).

set -eu
umask 077

LAB_DIR=${LAB_DIR:-${TMPDIR:-/tmp}/acs-lab}
IPTABLES=${LAB_IPTABLES:-iptables}
HERE=$(cd "$(dirname "$0")" && pwd)

# Public segment (TEST-NET-3).  .1 is the "gateway" every public host routes
# its default to: nobody holds it, its neighbour entry points at a MAC no port
# has, so packets to unknown destinations vanish silently instead of failing
# with ENETUNREACH (which makes coturn drop a whole allocation).
PUB_NET=203.0.113
PUB_GW=$PUB_NET.1
PUB_GW_MAC=02:ac:5d:00:00:01
TURN_ADDR=$PUB_NET.3
# coturn's second address: RFC 5780 (and its alt port) needs two, and two
# STUN destinations show a symmetric NAT's per-destination mapping.
TURN_ADDR2=$PUB_NET.4
RTR_A_PUB=$PUB_NET.10
RTR_B_PUB=$PUB_NET.20
TURN_PORT=3478
TURN_ALT_PORT=3479
TURN_TLS_PORT=5349
TURN_REALM=acs.lab
TURN_MIN_PORT=50000
TURN_MAX_PORT=50999

NODES="a b turn rtr-a rtr-b sw"

die() {
  echo "lab: error: $*" >&2
  exit 1
}

log() {
  echo "lab: $*" >&2
}

usage() {
  sed -n '/^#   lab.sh/,/^# (default iptables/s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, iptables)"
}

need_cmds() {
  local c pkg missing=""
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 && continue
    case $c in
      ip|ss) pkg=iproute2 ;;
      iptables|iptables-legacy) pkg=iptables ;;
      turnserver|turnutils_uclient) pkg=coturn ;;
      sysctl) pkg=procps ;;
      ping) pkg=iputils-ping ;;
      *) pkg=$c ;;
    esac
    missing="$missing $c($pkg)"
  done
  [ -z "$missing" ] ||
    die "missing commands:$missing; run tests/lab/install-deps.sh"
}

# Percent-encode everything but RFC 3986 unreserved characters.
urlencode() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# TURN REST credentials (coturn use-auth-secret): user "<expiry>:<name>",
# password base64(HMAC-SHA1(secret, user)).
rest_creds() {
  local secret=$1 ttl=$2 name=$3 user pass
  user="$(($(date +%s) + ttl)):$name"
  pass=$(printf '%s' "$user" |
    openssl dgst -binary -sha1 -hmac "$secret" | openssl base64 -A)
  printf '%s %s\n' "$user" "$pass"
}

# --- run state ---------------------------------------------------------------
# $LAB_DIR/state lists what `up` created, one "ns NAME" or "pid PID" per line,
# appended as soon as each exists, so `down` also undoes a half-built lab.

STATE=$LAB_DIR/state
ENVFILE=$LAB_DIR/lab.env

load_env() {
  [ -f "$ENVFILE" ] || die "no lab is up in $LAB_DIR (no lab.env); run 'lab.sh up TOPOLOGY'"
  set -a
  # shellcheck source=/dev/null
  . "$ENVFILE"
  set +a
}

ns_of() {
  case $1 in
    a) echo "$LAB_NS_A" ;;
    b) echo "$LAB_NS_B" ;;
    turn) echo "$LAB_NS_TURN" ;;
    rtr-a) echo "${LAB_NS_RTR_A:-}" ;;
    rtr-b) echo "${LAB_NS_RTR_B:-}" ;;
    sw) echo "$LAB_NS_SW" ;;
    *) die "unknown node '$1' (one of: $NODES)" ;;
  esac
}

ns_add() {
  local ns=$PREFIX$1
  ip netns add "$ns" || die "cannot create namespace $ns"
  echo "ns $ns" >>"$STATE"
  ip -n "$ns" link set lo up
  nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

nsx() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# veth pair: NAME1 in NS1, NAME2 in NS2; created inside NS1, never on the host.
veth() {
  ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" ||
    die "cannot create veth $1/$2 <-> $3/$4"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# Attach NAME (a new port of the public bridge) to NS as IFACE with ADDR.
public_host() {
  local ns=$1 iface=$2 port=$3 addr=$4
  veth "$ns" "$iface" "$NS_SW" "$port"
  ip -n "$NS_SW" link set "$port" master br0
  ip -n "$ns" addr add "$addr/24" dev "$iface"
  ip -n "$ns" neigh replace "$PUB_GW" lladdr "$PUB_GW_MAC" dev "$iface" nud permanent
  ip -n "$ns" route add default via "$PUB_GW" dev "$iface"
}

fail_point() {
  if [ "${LAB_TEST_FAIL_AT:-}" = "$1" ]; then
    die "failing on purpose at '$1' (LAB_TEST_FAIL_AT)"
  fi
}

# --- topologies --------------------------------------------------------------
# Each side X (a, b) has: MODE_X route (plain router, no NAT), cone
# (MASQUERADE, port-preserving), symmetric (MASQUERADE --random-fully);
# NET_X its /24 (router .1, endpoint .2); UDPBLOCK_X; LOSS_X.

TOPOLOGIES="direct nat symmetric symmetric-both udp-blocked udp-blocked-public lossy"

topology() {
  MODE_A=cone MODE_B=cone NET_A=10.0.1 NET_B=10.0.2
  UDPBLOCK_A=0 UDPBLOCK_B=0 LOSS_A="" LOSS_B=""
  case $1 in
    direct) MODE_A=route MODE_B=route ;;
    nat) ;;
    symmetric) MODE_A=symmetric ;;
    symmetric-both) MODE_A=symmetric MODE_B=symmetric ;;
    udp-blocked) UDPBLOCK_A=1 ;;
    udp-blocked-public) UDPBLOCK_A=1 MODE_B=route NET_B=198.51.100 ;;
    lossy) LOSS_A=${LAB_LOSS:-0.1} ;;
    *) die "unknown topology '$1' (one of: $TOPOLOGIES)" ;;
  esac
}

# Address under which side X is seen on the public segment.
face() {
  local mode net pub
  if [ "$1" = a ]; then mode=$MODE_A net=$NET_A pub=$RTR_A_PUB
  else mode=$MODE_B net=$NET_B pub=$RTR_B_PUB; fi
  if [ "$mode" = route ]; then echo "$net.2"; else echo "$pub"; fi
}

setup_side() {
  local x=$1 mode net pub udpblock loss peer ns ep p
  if [ "$x" = a ]; then
    mode=$MODE_A net=$NET_A pub=$RTR_A_PUB udpblock=$UDPBLOCK_A loss=$LOSS_A
    peer=$(face b)
  else
    mode=$MODE_B net=$NET_B pub=$RTR_B_PUB udpblock=$UDPBLOCK_B loss=$LOSS_B
    peer=$(face a)
  fi
  ns=${PREFIX}rtr-$x
  ep=$PREFIX$x

  ns_add "rtr-$x"
  ns_add "$x"
  public_host "$ns" wan0 "rtr-$x" "$pub"
  veth "$ns" lan0 "$ep" eth0
  ip -n "$ns" addr add "$net.1/24" dev lan0
  ip -n "$ep" addr add "$net.2/24" dev eth0
  ip -n "$ep" route add default via "$net.1"
  nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
  fail_point "router-$x"

  ipt() { nsx "$ns" "$IPTABLES" "$@"; }
  # INPUT: nothing unsolicited from the public side.  Dropping it here keeps
  # an early packet from the far side from leaving a conntrack entry that
  # would make MASQUERADE pick another port (port-preserving NAT turning
  # symmetric).
  ipt -P INPUT DROP
  ipt -A INPUT -i lo -j ACCEPT
  ipt -A INPUT -i lan0 -j ACCEPT
  ipt -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ipt -P FORWARD DROP
  if [ -n "$loss" ]; then
    ipt -A FORWARD -i lan0 -o wan0 -m statistic --mode random \
      --probability "$loss" -m comment --comment loss-drop-out -j DROP
    ipt -A FORWARD -i wan0 -o lan0 -m statistic --mode random \
      --probability "$loss" -m comment --comment loss-drop-in -j DROP
  fi
  if [ "$udpblock" = 1 ]; then
    ipt -A FORWARD -i lan0 -o wan0 -p udp \
      -m comment --comment udp-block-out -j DROP
    ipt -A FORWARD -i wan0 -o lan0 -p udp \
      -m comment --comment udp-block-in -j DROP
  fi
  if [ "$mode" != route ]; then
    ipt -A FORWARD -i wan0 -o lan0 -m conntrack ! --ctstate ESTABLISHED,RELATED \
      -m comment --comment unsolicited-in -j DROP
  fi
  # lab-count sees exactly the packets that are forwarded, before NAT on the
  # way out and after de-NAT on the way in.
  ipt -N lab-count
  for p in udp tcp icmp; do
    ipt -A lab-count -i lan0 -p $p -d "$TURN_ADDR" -m comment --comment "$p-to-turn" -j RETURN
    ipt -A lab-count -i lan0 -p $p -d "$TURN_ADDR2" -m comment --comment "$p-to-turn" -j RETURN
    ipt -A lab-count -i lan0 -p $p -d "$peer" -m comment --comment "$p-to-peer" -j RETURN
    ipt -A lab-count -i lan0 -p $p -m comment --comment "$p-to-other" -j RETURN
    ipt -A lab-count -i wan0 -p $p -s "$TURN_ADDR" -m comment --comment "$p-from-turn" -j RETURN
    ipt -A lab-count -i wan0 -p $p -s "$TURN_ADDR2" -m comment --comment "$p-from-turn" -j RETURN
    ipt -A lab-count -i wan0 -p $p -s "$peer" -m comment --comment "$p-from-peer" -j RETURN
    ipt -A lab-count -i wan0 -p $p -m comment --comment "$p-from-other" -j RETURN
  done
  ipt -A FORWARD -j lab-count
  ipt -A FORWARD -i lan0 -o wan0 -j ACCEPT
  ipt -A FORWARD -i wan0 -o lan0 -j ACCEPT
  case $mode in
    cone) ipt -t nat -A POSTROUTING -o wan0 -j MASQUERADE ;;
    symmetric) ipt -t nat -A POSTROUTING -o wan0 -j MASQUERADE --random-fully ;;
  esac
  unset -f ipt
}

# --- coturn ------------------------------------------------------------------

turn_conf() {
  local conf=$LAB_DIR/turnserver.conf tls=1
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -nodes -days 2 -subj "/CN=turn.$TURN_REALM" \
      -keyout "$LAB_DIR/turn.key" -out "$LAB_DIR/turn.crt" >/dev/null 2>&1; then
    log "cannot make a TLS certificate; TURN over TLS disabled"
    tls=0
  fi
  {
    echo "# generated by tests/lab/lab.sh for lab $PREFIX"
    echo "listening-ip=$TURN_ADDR"
    echo "listening-ip=$TURN_ADDR2"
    echo "relay-ip=$TURN_ADDR"
    echo "listening-port=$TURN_PORT"
    echo "alt-listening-port=$TURN_ALT_PORT"
    echo "min-port=$TURN_MIN_PORT"
    echo "max-port=$TURN_MAX_PORT"
    echo "realm=$TURN_REALM"
    echo "use-auth-secret"
    echo "static-auth-secret=$TURN_SECRET"
    echo "fingerprint"
    if [ $tls = 1 ]; then
      echo "tls-listening-port=$TURN_TLS_PORT"
      echo "cert=$LAB_DIR/turn.crt"
      echo "pkey=$LAB_DIR/turn.key"
    else
      echo "no-tls"
    fi
    echo "no-dtls"
    echo "no-cli"
    echo "no-multicast-peers"
    echo "no-auth-pings"
    echo "no-dynamic-ip-list"
    echo "no-dynamic-realms"
    echo "userdb=$LAB_DIR/turndb"
    echo "log-file=$LAB_DIR/turnserver.log"
    echo "simple-log"
    echo "no-stdout-log"
    echo "pidfile=$LAB_DIR/turnserver.pid"
    # Private ranges are refused (CreatePermission: 403, which ICE agents
    # tolerate); the lab's public ranges are explicitly allowed.
    echo "denied-peer-ip=0.0.0.0-0.255.255.255"
    echo "denied-peer-ip=10.0.0.0-10.255.255.255"
    echo "denied-peer-ip=100.64.0.0-100.127.255.255"
    echo "denied-peer-ip=169.254.0.0-169.254.255.255"
    echo "denied-peer-ip=172.16.0.0-172.31.255.255"
    echo "denied-peer-ip=192.168.0.0-192.168.255.255"
    echo "allowed-peer-ip=203.0.113.0-203.0.113.255"
    echo "allowed-peer-ip=198.51.100.0-198.51.100.255"
  } >"$conf"
  echo $tls
}

# Is PID a turnserver started with this run's configuration file?
is_our_turn() {
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  case $cmdline in
    *turnserver*"$LAB_DIR/turnserver.conf"*) return 0 ;;
  esac
  return 1
}

turn_pid() {
  local pid
  pid=$(cat "$LAB_DIR/turnserver.lab-pid" 2>/dev/null) || return 1
  is_our_turn "$pid" || return 1
  echo "$pid"
}

turn_listening() {
  local out
  out=$(nsx "$NS_TURN" ss -Hlntu "( sport = :$TURN_PORT )" 2>/dev/null) || return 1
  case $out in *udp*) ;; *) return 1 ;; esac
  case $out in *tcp*) ;; *) return 1 ;; esac
}

turn_start() {
  local pid i
  if pid=$(turn_pid); then
    log "turnserver already runs (pid $pid)"
    return 0
  fi
  rm -f "$LAB_DIR/turnserver.pid"
  # setsid: a Ctrl-C in the shell that ran `up` must not stop coturn; `down`
  # stops it by the pid recorded here.  ip netns exec and setsid exec in
  # place (no fork here), so $! is turnserver's own pid.
  setsid ip netns exec "$NS_TURN" turnserver -c "$LAB_DIR/turnserver.conf" \
    </dev/null >>"$LAB_DIR/turnserver.out" 2>&1 &
  pid=$!
  echo "$pid" >"$LAB_DIR/turnserver.lab-pid"
  echo "pid $pid" >>"$STATE"
  for i in $(seq 100); do
    if turn_listening; then
      is_our_turn "$pid" || die "pid $pid is not our turnserver"
      log "turnserver pid $pid listens on $TURN_ADDR:$TURN_PORT"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LAB_DIR/turnserver.log" "$LAB_DIR/turnserver.out" >&2 || true
      die "turnserver exited at start (see $LAB_DIR/turnserver.log)"
    fi
    [ "$i" -lt 100 ] && sleep 0.1
  done
  die "turnserver does not listen on $TURN_ADDR:$TURN_PORT after 10 s"
}

turn_stop() {
  local pid i
  pid=$(turn_pid) || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$LAB_DIR/turnserver.lab-pid"
  log "turnserver pid $pid stopped"
}

# --- commands ----------------------------------------------------------------

cmd_up() {
  [ $# -eq 1 ] || usage
  local topo=$1 ns n tls creds user pass
  need_root
  need_cmds ip ss "$IPTABLES" turnserver openssl sysctl setsid
  topology "$topo"
  mkdir -p "$LAB_DIR"
  if [ -s "$STATE" ]; then
    die "a lab is already up in $LAB_DIR; run 'lab.sh down' or set LAB_DIR"
  fi
  PREFIX=${LAB_PREFIX:-acs$$-}
  case $PREFIX in
    *[!A-Za-z0-9_.-]*) die "LAB_PREFIX may hold only A-Za-z0-9_.-" ;;
  esac
  for n in $NODES; do
    if [ -e "/run/netns/$PREFIX$n" ]; then
      die "namespace $PREFIX$n exists already; choose another LAB_PREFIX"
    fi
  done
  : >"$STATE"
  rm -f "$ENVFILE"
  # shellcheck disable=SC2154
  trap 'rc=$?; if [ $rc != 0 ]; then log "up failed, cleaning up"; do_down; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  NS_SW=${PREFIX}sw
  NS_TURN=${PREFIX}turn
  ns_add sw
  ip -n "$NS_SW" link add br0 type bridge
  ip -n "$NS_SW" link set br0 up
  # br_netfilter (if loaded) must not run bridged frames through iptables.
  nsx "$NS_SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 >/dev/null 2>&1 || true
  ns_add turn
  public_host "$NS_TURN" eth0 turn "$TURN_ADDR"
  ip -n "$NS_TURN" addr add "$TURN_ADDR2/24" dev eth0
  fail_point turn-host

  setup_side a
  setup_side b
  # Plain (non-NAT) routers: the other router and coturn route to the subnet.
  for n in a b; do
    local mode net via other
    if [ $n = a ]; then mode=$MODE_A net=$NET_A via=$RTR_A_PUB other=${PREFIX}rtr-b
    else mode=$MODE_B net=$NET_B via=$RTR_B_PUB other=${PREFIX}rtr-a; fi
    [ "$mode" = route ] || continue
    ip -n "$NS_TURN" route add "$net.0/24" via "$via"
    ip -n "$other" route add "$net.0/24" via "$via"
  done
  fail_point turn

  TURN_SECRET=$(openssl rand -hex 16)
  tls=$(turn_conf)
  turn_start
  creds=$(rest_creds "$TURN_SECRET" 86400 lab)
  user=${creds% *} pass=${creds#* }
  local eu ep
  eu=$(urlencode "$user") ep=$(urlencode "$pass")

  {
    echo "# lab $PREFIX ($topo), written by tests/lab/lab.sh up"
    echo "LAB_DIR='$LAB_DIR'"
    echo "LAB_PREFIX='$PREFIX'"
    echo "LAB_TOPOLOGY='$topo'"
    echo "LAB_NS_A='${PREFIX}a'"
    echo "LAB_NS_B='${PREFIX}b'"
    echo "LAB_NS_RTR_A='${PREFIX}rtr-a'"
    echo "LAB_NS_RTR_B='${PREFIX}rtr-b'"
    echo "LAB_NS_TURN='$NS_TURN'"
    echo "LAB_NS_SW='$NS_SW'"
    echo "LAB_ADDR_A='$NET_A.2'"
    echo "LAB_ADDR_B='$NET_B.2'"
    echo "LAB_GW_A='$NET_A.1'"
    echo "LAB_GW_B='$NET_B.1'"
    echo "LAB_MODE_A='$MODE_A'"
    echo "LAB_MODE_B='$MODE_B'"
    echo "LAB_RTR_A_PUB='$RTR_A_PUB'"
    echo "LAB_RTR_B_PUB='$RTR_B_PUB'"
    echo "LAB_PUBLIC_A='$(face a)'"
    echo "LAB_PUBLIC_B='$(face b)'"
    echo "LAB_UDP_BLOCKED_A='$UDPBLOCK_A'"
    echo "LAB_LOSS_A='$LOSS_A'"
    echo "LAB_TURN_ADDR='$TURN_ADDR'"
    echo "LAB_TURN_PORT='$TURN_PORT'"
    echo "LAB_TURN_ALT_PORT='$TURN_ALT_PORT'"
    echo "LAB_TURN_ADDR2='$TURN_ADDR2'"
    if [ "$tls" = 1 ]; then
      echo "LAB_TURN_TLS_PORT='$TURN_TLS_PORT'"
      echo "LAB_TURN_TLS_CERT='$LAB_DIR/turn.crt'"
    else
      echo "LAB_TURN_TLS_PORT=''"
      echo "LAB_TURN_TLS_CERT=''"
    fi
    echo "LAB_TURN_REALM='$TURN_REALM'"
    echo "LAB_TURN_SECRET='$TURN_SECRET'"
    echo "LAB_TURN_USER='$user'"
    echo "LAB_TURN_PASS='$pass'"
    echo "LAB_STUN_URI='stun://$TURN_ADDR:$TURN_PORT'"
    echo "LAB_TURN_URI_UDP='turn://$eu:$ep@$TURN_ADDR:$TURN_PORT?transport=udp'"
    echo "LAB_TURN_URI_TCP='turn://$eu:$ep@$TURN_ADDR:$TURN_PORT?transport=tcp'"
    if [ "$tls" = 1 ]; then
      echo "LAB_TURN_URI_TLS='turns://$eu:$ep@$TURN_ADDR:$TURN_TLS_PORT?transport=tcp'"
    else
      echo "LAB_TURN_URI_TLS=''"
    fi
    echo "LAB_TURN_PID='$(cat "$LAB_DIR/turnserver.lab-pid")'"
    echo "LAB_TURN_LOG='$LAB_DIR/turnserver.log'"
  } >"$ENVFILE.tmp"
  mv "$ENVFILE.tmp" "$ENVFILE"
  fail_point env
  trap - EXIT INT TERM

  cat <<EOF
lab $PREFIX up: $topo (env: $ENVFILE)
  A     ns ${PREFIX}a      addr $NET_A.2 gw $NET_A.1   [$MODE_A$( [ "$UDPBLOCK_A" = 1 ] && echo ", udp blocked")$( [ -n "$LOSS_A" ] && echo ", loss $LOSS_A")]
  rtr-a ns ${PREFIX}rtr-a  lan $NET_A.1 wan $RTR_A_PUB
  B     ns ${PREFIX}b      addr $NET_B.2 gw $NET_B.1   [$MODE_B]
  rtr-b ns ${PREFIX}rtr-b  lan $NET_B.1 wan $RTR_B_PUB
  turn  ns $NS_TURN   addr $TURN_ADDR (+$TURN_ADDR2) udp+tcp $TURN_PORT alt $TURN_ALT_PORT$( [ "$tls" = 1 ] && echo " tls $TURN_TLS_PORT")
  sw    ns $NS_SW     bridge br0 ($PUB_NET.0/24, silent gateway $PUB_GW)
  STUN  stun://$TURN_ADDR:$TURN_PORT
  TURN  user $user (realm $TURN_REALM, REST secret in lab.env)
EOF
}

do_down() {
  local what arg pid
  [ -f "$STATE" ] || return 0
  # Processes first, then namespaces, in reverse order of creation.
  while read -r what arg; do
    [ "$what" = pid ] || continue
    pid=$arg
    if is_our_turn "$pid"; then
      echo "$pid" >"$LAB_DIR/turnserver.lab-pid"
      turn_stop
    fi
  done <"$STATE"
  tac "$STATE" | while read -r what arg; do
    [ "$what" = ns ] || continue
    if [ -e "/run/netns/$arg" ]; then
      ip netns del "$arg" || log "cannot delete namespace $arg"
    fi
  done
  rm -f "$STATE" "$ENVFILE" "$LAB_DIR/turnserver.lab-pid" "$LAB_DIR/turnserver.pid"
}

cmd_down() {
  need_root
  if [ ! -f "$STATE" ] && [ -n "${LAB_PREFIX:-}" ]; then
    # No state (lost LAB_DIR): remove the lab's fixed names for this prefix.
    local n
    for n in $NODES; do
      [ -e "/run/netns/$LAB_PREFIX$n" ] && echo "ns $LAB_PREFIX$n"
    done >"$STATE.tmp"
    mkdir -p "$LAB_DIR"
    mv "$STATE.tmp" "$STATE"
  fi
  do_down
  log "down ($LAB_DIR)"
}

cmd_exec() {
  [ $# -ge 2 ] || usage
  need_root
  load_env
  local ns
  ns=$(ns_of "$1")
  [ -n "$ns" ] || die "this topology has no node '$1'"
  shift
  exec ip netns exec "$ns" "$@"
}

cmd_pair() {
  [ $# -eq 2 ] || usage
  need_root
  load_env
  local t=${LAB_PAIR_TIMEOUT:-60} pa pb ra=0 rb=0
  timeout -k 5 "$t" ip netns exec "$LAB_NS_A" sh -c "$1" \
    >"$LAB_DIR/pair-a.log" 2>&1 </dev/null &
  pa=$!
  timeout -k 5 "$t" ip netns exec "$LAB_NS_B" sh -c "$2" \
    >"$LAB_DIR/pair-b.log" 2>&1 </dev/null &
  pb=$!
  # shellcheck disable=SC2064
  trap "kill $pa $pb 2>/dev/null; exit 130" INT TERM
  wait "$pa" || ra=$?
  wait "$pb" || rb=$?
  trap - INT TERM
  sed 's/^/a| /' "$LAB_DIR/pair-a.log"
  sed 's/^/b| /' "$LAB_DIR/pair-b.log"
  echo "pair: a exit $ra, b exit $rb"
  [ $ra = 0 ] && [ $rb = 0 ]
}

# "NODE NAME PACKETS BYTES" for every commented rule of the routers.
cmd_counters() {
  need_root
  load_env
  local n ns nodes=${1:-rtr-a rtr-b}
  for n in $nodes; do
    ns=$(ns_of "$n")
    [ -n "$ns" ] || continue
    for chain in FORWARD lab-count; do
      nsx "$ns" "$IPTABLES" -L "$chain" -n -v -x 2>/dev/null
    done | awk -v node="$n" '
      match($0, /\/\* [^ ]+ \*\//) {
        k = substr($0, RSTART + 3, RLENGTH - 6)
        if (!(k in p)) order[++n] = k
        p[k] += $1; b[k] += $2
      }
      END { for (i = 1; i <= n; i++) print node, order[i], p[order[i]], b[order[i]] }'
  done
}

cmd_counter() {
  [ $# -eq 2 ] || usage
  local v
  v=$(cmd_counters "$1" | awk -v n="$2" '$2 == n { print $3 }')
  [ -n "$v" ] || die "no counter '$2' on '$1'"
  echo "$v"
}

cmd_turn_stop() {
  need_root
  load_env
  turn_stop || true
}

cmd_turn_start() {
  need_root
  load_env
  NS_TURN=$LAB_NS_TURN TURN_ADDR=$LAB_TURN_ADDR
  turn_start
  sed -i "s/^LAB_TURN_PID=.*/LAB_TURN_PID='$(cat "$LAB_DIR/turnserver.lab-pid")'/" "$ENVFILE"
}

cmd_creds() {
  load_env
  rest_creds "$LAB_TURN_SECRET" "${1:-86400}" "${2:-lab}"
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    exec) cmd_exec "$@" ;;
    pair) cmd_pair "$@" ;;
    counters) cmd_counters "$@" ;;
    counter) cmd_counter "$@" ;;
    turn-stop) cmd_turn_stop ;;
    turn-start) cmd_turn_start ;;
    creds) cmd_creds "$@" ;;
    env) load_env; cat "$ENVFILE" ;;
    topologies) echo "$TOPOLOGIES" ;;
    stunprobe) need_root; load_env; local n=$1; shift
      ip netns exec "$(ns_of "$n")" python3 "$HERE/stunprobe.py" "$@" ;;
    help|-h|--help) usage ;;
    *) usage ;;
  esac
}

main "$@"
