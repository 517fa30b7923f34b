#!/usr/bin/env bash
# What content capture costs the TC programs (issue 11): the same workloads on loopback under
# `procflow trace` with content capture off (--content-bytes 0) and on (512 bytes, first turn;
# and --messages all), with kernel.bpf_stats_enabled on; prints pf_tc_egress's run count, total
# run time and ns per run (on loopback every packet passes egress once) for each setting, and
# the messages procflow printed. Short connections show the per-flow cost (the budget map entry,
# the copies); bulk transfers the per-packet cost after the first bytes (one look-up).
#
#   sudo bench/payload_cost.sh            # build/procflow and build/bench/conn_storm
#   ROUNDS=5 CONNECTIONS=5000 sudo bench/payload_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PROCFLOW=$BUILD_DIR/procflow
CONN_STORM=$BUILD_DIR/bench/conn_storm
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-3000}
for f in "$PROCFLOW" "$CONN_STORM"; do
  [[ -x $f ]] || { echo "payload_cost.sh: $f is missing: cmake --build $BUILD_DIR -j2" >&2; exit 1; }
done
[[ $EUID -eq 0 ]] || { echo "payload_cost.sh: needs root (BPF)" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "payload_cost.sh: needs bpftool" >&2; exit 1; }

stats_file=/proc/sys/kernel/bpf_stats_enabled
previous_stats=$(cat "$stats_file")
echo 1 >"$stats_file"
out=$(mktemp -d)
trap 'echo "$previous_stats" >"$stats_file"; rm -rf "$out"' EXIT

# "runs ns" of the program called NAME (procflow's only one by that name while it runs).
program_stats() {
  bpftool prog show name "$1" --json | python3 -c '
import json, sys
progs = json.load(sys.stdin)
progs = progs if isinstance(progs, list) else [progs]
print(sum(p.get("run_cnt", 0) for p in progs), sum(p.get("run_time_ns", 0) for p in progs))'
}

# One measured run: procflow with the given content flags, the workload, procflow stopped.
measure() {
  local label=$1 workload=$2
  shift 2
  "$PROCFLOW" trace --format json --interfaces lo "$@" >"$out/events" \
    2>"$out/log" &
  local pid=$!
  for _ in $(seq 100); do grep -q "tracing started" "$out/log" && break; sleep 0.1; done
  read -r runs0 ns0 < <(program_stats pf_tc_egress)
  # shellcheck disable=SC2086
  "$CONN_STORM" $workload >/dev/null
  read -r runs1 ns1 < <(program_stats pf_tc_egress)
  kill -INT "$pid"
  wait "$pid" || true
  local runs=$((runs1 - runs0)) ns=$((ns1 - ns0))
  local messages
  messages=$(grep -c '"action":"message"' "$out/events" || true)
  awk -v l="$label" -v r="$runs" -v n="$ns" -v m="$messages" \
    'BEGIN { printf "%-34s runs=%-9d run_ns=%-12d ns_per_run=%7.1f messages=%d\n", l, r, n, r ? n / r : 0, m }'
}

short="--connections $CONNECTIONS --parallel 2"
bulk="--connections 2 --parallel 2 --bytes 268435456 --answer-bytes 100"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  measure "short, content off" "$short" --content-bytes 0
  measure "short, content 512 first" "$short" --content-bytes 512
  measure "short, content 512 all" "$short" --content-bytes 512 --messages all
  measure "bulk 256 MiB, content off" "$bulk" --content-bytes 0
  measure "bulk 256 MiB, content 512 first" "$bulk" --content-bytes 512
done
