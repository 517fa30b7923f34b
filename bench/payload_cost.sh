#!/usr/bin/env bash
# What content capture costs the TC programs per packet (issue 11): the same conn_storm
# workloads on loopback under `procflow trace --content-bytes 0` (no capture: the programs parse
# the packet, count it, look for DNS) and under `procflow trace` with the default 512 bytes per
# turn (the payload budget look-up on every packet, and the first bytes of each turn copied into
# the ring), in rotating rounds. The kernel's own statistics (kernel.bpf_stats_enabled, switched
# on for the run and restored after) give run time and run count of procflow's TC programs:
# ns per packet = run time / runs, medians of the rounds.
#
# Two workloads:
#   short: connections of 100 B each way; every connection has two turns to copy.
#   bulk:  two 64 MiB transfers; after each turn's first bytes the budget is spent, so the
#          capture should cost one map look-up per packet and nothing more.
#
# usage: sudo bench/payload_cost.sh [-R ROUNDS] [-c CONNECTIONS]
# Environment: BUILD_DIR (default <repo>/build), PROCFLOW and CONN_STORM override the binaries.
# Takes the BPF lock other users of the machine share (/tmp/procflow-bpf.lock).
set -euo pipefail

ROUNDS=5
CONNECTIONS=5000
while getopts "R:c:h" opt; do
  case "$opt" in
    R) ROUNDS=$OPTARG ;;
    c) CONNECTIONS=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build}
PROCFLOW=${PROCFLOW:-$BUILD_DIR/procflow}
CONN_STORM=${CONN_STORM:-$BUILD_DIR/bench/conn_storm}
for binary in "$PROCFLOW" "$CONN_STORM"; do
  [[ -x $binary ]] || { echo "payload_cost.sh: $binary is missing: cmake --build $BUILD_DIR --target procflow conn_storm" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "payload_cost.sh: run as root (BPF)" >&2; exit 1; }

exec 9>/tmp/procflow-bpf.lock
flock 9
work=$(mktemp -d /tmp/pf-payload-bench.XXXXXX)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
procflow_pid=
cleanup() {
  if [[ -n $procflow_pid ]]; then
    kill -TERM "$procflow_pid" 2>/dev/null || true
    wait "$procflow_pid" 2>/dev/null || true
  fi
  sysctl -qw kernel.bpf_stats_enabled="$stats_before"
  rm -rf "$work"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# "run_time_ns run_cnt" summed over the TC programs whose ids are not in $work/ids.before:
# the ones the procflow just started loaded.
tc_stats() {
  timeout 20 bpftool -j prog show | python3 -c '
import json, sys
before = set(open(sys.argv[1]).read().split())
ns = runs = 0
for p in json.load(sys.stdin):
    if str(p["id"]) in before or not p.get("name", "").startswith("pf_tc_"):
        continue
    ns += p.get("run_time_ns", 0)
    runs += p.get("run_cnt", 0)
print(ns, runs)' "$work/ids.before"
}

# ns per TC program run for one workload under procflow with the given content bytes.
measure() {
  local bytes=$1 workload=$2
  timeout 20 bpftool -j prog show | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))' >"$work/ids.before"
  "$PROCFLOW" trace --format json --interfaces lo --content-bytes "$bytes" >/dev/null 2>"$work/procflow.log" &
  procflow_pid=$!
  local waited=0
  until grep -q "tracing started" "$work/procflow.log"; do
    kill -0 "$procflow_pid" 2>/dev/null || { cat "$work/procflow.log" >&2; exit 1; }
    ((waited++ < 150)) || { echo "payload_cost.sh: procflow did not start in 30 s" >&2; cat "$work/procflow.log" >&2; exit 1; }
    sleep 0.2
  done
  read -r ns0 runs0 < <(tc_stats)
  case "$workload" in
    short) timeout 300 "$CONN_STORM" --connections "$CONNECTIONS" --parallel 2 >"$work/storm.txt" ;;
    bulk) timeout 300 "$CONN_STORM" --connections 2 --parallel 2 --bytes 67108864 --answer-bytes 100 >"$work/storm.txt" ;;
  esac
  read -r ns1 runs1 < <(tc_stats)
  kill -TERM "$procflow_pid"
  wait "$procflow_pid" || true
  procflow_pid=
  grep -q "failed=0" "$work/storm.txt" || { echo "payload_cost.sh: conn_storm failed: $(cat "$work/storm.txt")" >&2; exit 1; }
  ((runs1 > runs0)) || { echo "payload_cost.sh: the TC programs did not run" >&2; exit 1; }
  echo "$(( (ns1 - ns0) / (runs1 - runs0) )) $((runs1 - runs0))"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A samples
for ((r = 1; r <= ROUNDS; r++)); do
  line="round $r:"
  for workload in short bulk; do
    for bytes in 0 512; do
      read -r ns runs < <(measure "$bytes" "$workload")
      samples[$workload.$bytes]+="$ns "
      line+=" $workload/content=$bytes ${ns} ns ($runs runs)"
    done
  done
  echo "$line"
done

echo "TC program time per packet on loopback, median of $ROUNDS rounds:"
for workload in short bulk; do
  off=$(tr ' ' '\n' <<<"${samples[$workload.0]}" | grep . | median)
  on=$(tr ' ' '\n' <<<"${samples[$workload.512]}" | grep . | median)
  echo "  $workload: content off $off ns, content on (512 B per turn) $on ns: capture costs $((on - off)) ns per packet"
done
