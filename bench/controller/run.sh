#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# acs-controller throughput and latency on loopback over TLS with
# keep-alive (issue 5, section 5), driven by wrk. See docs/performance.md.
#
#   bench/controller/run.sh
#
# BUILD_DIR (default build-bench-controller, relative to the repository)
# is configured (release) and the controller built if missing. The
# controller runs pinned to CPU 0 (taskset -c 0), wrk to CPU 1; tokens
# come from `acs-controller mint-token`. DURATION (default 10) seconds
# per wrk run. Measures:
#   a) requests/s of GET /v1/ice-servers and of POST /v1/calls;
#   b) full call setups/s: flow.lua, each wrk thread driving one
#      keep-alive connection through 12-request flows (place, ringing,
#      answer, 3+1 candidates each side, hang-up), FLOW_CONNS (default
#      16) connections;
#   c) p50/p99 of a whole flow (first request sent to last response
#      read, timed in flow.lua) at 200 concurrent flows;
# plus the controller's VmRSS/VmHWM before, after each run and after the
# ended calls are forgotten, and its CPU use during each run.
# The table goes to stdout, then one JSON line per figure with its
# target, ratio and PASS/FAIL; progress to stderr.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/bench/controller
build=${BUILD_DIR:-build-bench-controller}
case $build in
  /*) ;;
  *) build=$top/$build ;;
esac
duration=${DURATION:-10}
flow_conns=${FLOW_CONNS:-16}
retention=${ENDED_RETENTION:-5}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" --buildtype=release -Dwerror=true >&2
fi
ninja -C "$build" tools/controller/acs-controller >&2
ctl=$build/tools/controller/acs-controller

work=$(mktemp -d /tmp/acs-controller-bench.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Short timeouts would end calls under load: only the retention of ended
# calls is shortened, so that the memory check can see them forgotten.
taskset -c 0 "$ctl" --listen 127.0.0.1:0 --port-file "$work/port" \
  --state-dir "$work/state" --ended-retention "$retention" \
  2>"$work/controller.log" &
pid=$!
i=0
until [ -s "$work/port" ]; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "controller did not start" >&2; exit 1; }
  sleep 0.1
done
port=$(cat "$work/port")
url=https://127.0.0.1:$port

echo "minting 400 tokens" >&2
n=0
while [ $n -lt 200 ]; do
  echo "b$n $("$ctl" mint-token --state-dir "$work/state" --user a$n) $("$ctl" mint-token --state-dir "$work/state" --user b$n)"
  n=$((n + 1))
done >"$work/tokens"
token=$(head -n1 "$work/tokens" | cut -d' ' -f2)

mem() {
  awk '/^VmRSS|^VmHWM/ { printf "%s %s ", $1, $2 } END { print "" }' \
    /proc/$pid/status
}
rss_kb() {
  awk '/^VmRSS/ { print $2 }' /proc/$pid/status
}
cpu_ticks() {
  awk '{ print $14 + $15 }' /proc/$pid/stat
}
metric() {
  curl -s --cacert "$work/state/cert.pem" "$url/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'
}

# run NAME WRK-ARGS...: runs wrk on CPU 1, leaves its output in
# $work/NAME.out and the controller's CPU use (percent) in $work/NAME.cpu
run() {
  name=$1
  shift
  echo "wrk $name" >&2   # not the arguments: they hold a token
  t0=$(cpu_ticks)
  s0=$(date +%s%N)
  taskset -c 1 wrk --latency -d "${duration}s" "$@" >"$work/$name.out"
  s1=$(date +%s%N)
  t1=$(cpu_ticks)
  hz=$(getconf CLK_TCK)
  awk -v t="$((t1 - t0))" -v hz="$hz" -v ns="$((s1 - s0))" \
    'BEGIN { printf "%.0f\n", 100 * t / hz / (ns / 1e9) }' >"$work/$name.cpu"
  echo "  $(grep Requests/sec "$work/$name.out") controller CPU $(cat "$work/$name.cpu")% $(mem)" >&2
}
rps() {
  awk '/^Requests\/sec/ { print $2 }' "$work/$1.out"
}
lat() {
  awk -v p="$2" '$1 == p { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v }' "$work/$1.out"
}
flowjson() {
  sed -n 's/^FLOWJSON //p' "$work/$1.out"
}
field() {
  echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}

rss_start=$(rss_kb)
echo "controller pid $pid, $(mem)" >&2
run ice -t 2 -c 32 -H "Authorization: Bearer $token" "$url/v1/ice-servers"
run calls -t 2 -c 32 -s "$here/post-calls.lua" "$url/" -- "$work/tokens"
rss_after_calls=$(rss_kb)
# The placed calls end by the invite timeout (10 s), then are forgotten
echo "waiting for the placed calls to time out and be forgotten" >&2
sleep $((10 + retention + 2))
echo "  $(mem) calls active $(metric acs_calls_active)" >&2
run flows -t "$flow_conns" -c "$flow_conns" -s "$here/flow.lua" "$url/" -- "$work/tokens"
run flows200 -t 200 -c 200 -s "$here/flow.lua" "$url/" -- "$work/tokens"
rss_after_flows=$(rss_kb)
sleep $((retention + 2))
rss_end=$(rss_kb)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
active=$(metric acs_calls_active)
setups=$(metric acs_call_setups_total)

kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
[ $code -eq 0 ] || echo "controller exited with $code" >&2

f=$(flowjson flows)
f200=$(flowjson flows200)
setups_s=$(field "$f" setups_per_s)
setups200_s=$(field "$f200" setups_per_s)
p50=$(field "$f200" flow_p50_ms)
p99=$(field "$f200" flow_p99_ms)
errs=$(($(field "$f" flow_errors) + $(field "$f200" flow_errors)))

printf '%-44s %12s %10s %10s %6s\n' "measure" "value" "p50 ms" "p99 ms" "CPU%"
printf '%-44s %12s %10s %10s %6s\n' "GET /v1/ice-servers, 32 conns (req/s)" \
  "$(rps ice)" "$(lat ice 50%)" "$(lat ice 99%)" "$(cat "$work/ice.cpu")"
printf '%-44s %12s %10s %10s %6s\n' "POST /v1/calls, 32 conns (req/s)" \
  "$(rps calls)" "$(lat calls 50%)" "$(lat calls 99%)" "$(cat "$work/calls.cpu")"
printf '%-44s %12s %10s %10s %6s\n' "flow requests, $flow_conns conns (req/s)" \
  "$(rps flows)" "$(lat flows 50%)" "$(lat flows 99%)" "$(cat "$work/flows.cpu")"
printf '%-44s %12s %10s %10s %6s\n' "full call setups, $flow_conns conns (/s)" \
  "$setups_s" "$(field "$f" flow_p50_ms)" "$(field "$f" flow_p99_ms)" "$(cat "$work/flows.cpu")"
printf '%-44s %12s %10s %10s %6s\n' "full call setups, 200 flows (/s)" \
  "$setups200_s" "$p50" "$p99" "$(cat "$work/flows200.cpu")"
printf '%-44s %12s\n' "flow errors (non-expected status)" "$errs"
printf '%-44s %12s\n' "setups counted by /metrics" "$setups"
printf '%-44s %12s\n' "calls left active (flows cut by wrk's end)" "$active"
printf '%-44s %12s\n' "VmRSS start / after calls / after flows (kB)" \
  "$rss_start / $rss_after_calls / $rss_after_flows"
printf '%-44s %12s\n' "VmRSS after retention / VmHWM (kB)" "$rss_end / $hwm"
printf '%-44s %12s\n' "controller exit code on SIGTERM" "$code"

verdict() {
  awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {
    r = (dir == "min") ? v / t : t / v
    printf "%.3f %s\n", r, (r >= 1) ? "PASS" : "FAIL" }'
}
set -- $(verdict "$setups_s" 1000 min)
echo "{\"bench\":\"controller\",\"measure\":\"call_setups_per_s\",\"conns\":$flow_conns,\"value\":$setups_s,\"target\":1000,\"ratio\":$1,\"result\":\"$2\"}"
set -- $(verdict "$p99" 20 max)
echo "{\"bench\":\"controller\",\"measure\":\"flow_p99_ms_200\",\"value\":$p99,\"p50\":$p50,\"target\":20,\"ratio\":$1,\"result\":\"$2\"}"
echo "{\"bench\":\"controller\",\"measure\":\"requests_per_s\",\"ice_servers\":$(rps ice),\"post_calls\":$(rps calls),\"flow_requests\":$(rps flows)}"
echo "{\"bench\":\"controller\",\"measure\":\"memory_kb\",\"rss_start\":$rss_start,\"rss_after_calls\":$rss_after_calls,\"rss_after_flows\":$rss_after_flows,\"rss_end\":$rss_end,\"hwm\":$hwm}"
# wrk stops mid-flow: those calls stay active (no timer ends an active
# call), so they are reported, not an error
[ "$errs" -eq 0 ] && [ "$code" -eq 0 ] ||
  { echo "bench: flow errors or a bad exit" >&2; exit 1; }
