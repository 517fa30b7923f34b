#!/usr/bin/env bash
# What tracing costs the host: the same TCP workload (bench/conn_storm) run untraced, under
# `procflow trace` and under libbpf-tools' tcplife, the reference the performance budget is
# stated against (architecture.md, "Performance budget").
#
# usage: sudo bench/overhead.sh [-n CONNECTIONS] [-r REPS] [-R ROUNDS]
#   -n  connections per workload run (default 5000)
#   -r  workload runs per configuration and round (default 3)
#   -R  rounds (default 3); each round runs every configuration, tracers are restarted
# Environment: BUILD_DIR (default <repo>/build), PROCFLOW, CONN_STORM, TCPLIFE override paths.
#
# All traffic stays on 127.0.0.1; procflow attaches TC only to `lo`. Takes about 15 s a round.
set -euo pipefail

CONNS=5000
REPS=3
ROUNDS=3
while getopts "n:r:R:h" opt; do
  case "$opt" in
    n) CONNS=$OPTARG ;;
    r) REPS=$OPTARG ;;
    R) ROUNDS=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
for v in "$CONNS" "$REPS" "$ROUNDS"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "overhead.sh: -n/-r/-R take positive integers" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PROCFLOW=${PROCFLOW:-$BUILD_DIR/procflow}
CONN_STORM=${CONN_STORM:-$BUILD_DIR/bench/conn_storm}
TCPLIFE=${TCPLIFE:-/usr/sbin/tcplife}

if [[ $EUID -ne 0 ]]; then
  echo "overhead.sh: must run as root (loads BPF programs)" >&2
  exit 1
fi
for bin in "$PROCFLOW" "$CONN_STORM"; do
  if [[ ! -x "$bin" ]]; then
    echo "overhead.sh: $bin missing; build with:" >&2
    echo "  cmake --build $BUILD_DIR --target procflow conn_storm -j2" >&2
    exit 1
  fi
done

WORK=$(mktemp -d /tmp/procflow-overhead.XXXXXX)
STATS_SYSCTL=kernel.bpf_stats_enabled
STATS_SAVED=$(sysctl -n "$STATS_SYSCTL")
STATS_CHANGED=0
TRACER_PID=""
CLK_TCK=$(getconf CLK_TCK)

# Stops the tracer we started (and only it, by pid): SIGTERM first, which procflow handles like
# Ctrl-C (detaches its TC filters, prints its loss report); SIGINT would not do, as background
# jobs of a script start with SIGINT ignored. SIGKILL if it does not go within 10 s.
stop_tracer() {
  local pid=$TRACER_PID
  TRACER_PID=""
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
}

restore_stats() {
  if [[ $STATS_CHANGED -eq 1 ]]; then
    sysctl -qw "$STATS_SYSCTL=$STATS_SAVED" || true
    STATS_CHANGED=0
  fi
}

cleanup() {
  stop_tracer
  restore_stats
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # exit runs the EXIT trap

# utime+stime of a process (all its threads), in seconds.
cpu_seconds() {
  # Fields after the "(comm)" (which may contain spaces): utime and stime are the 12th and
  # 13th of them (14th and 15th of the whole line).
  local rest
  rest=$(sed 's/^.*) //' "/proc/$1/stat")
  awk -v tck="$CLK_TCK" '{ printf "%.3f", ($12 + $13) / tck }' <<<"$rest"
}

# Runs the workload REPS times; appends "config elapsed cpu_user cpu_sys" lines to results.
run_workload() {
  local config=$1 line
  for _ in $(seq "$REPS"); do
    if ! line=$("$CONN_STORM" --connections "$CONNS"); then
      echo "overhead.sh: conn_storm failed under $config: $line" >&2
      exit 1
    fi
    awk -v c="$config" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print c, v["elapsed_s"], v["cpu_user_s"], v["cpu_sys_s"]
      }' <<<"$line" >>"$WORK/results"
  done
}

# Runs the workload under the already started tracer TRACER_PID and records its CPU time.
measure_tracer() {
  local config=$1 cpu0 cpu1
  cpu0=$(cpu_seconds "$TRACER_PID")
  run_workload "$config"
  sleep 1  # procflow holds ends for a 250 ms linger: let each tracer finish what it was given
  cpu1=$(cpu_seconds "$TRACER_PID")
  awk -v c="$config" -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%s %.3f\n", c, b - a }' \
    >>"$WORK/tracer_cpu"
}

# BPF program ids held by a process: every prog or link fd it has open names one. This picks
# out our procflow's programs even when another procflow (another user's) is loaded too.
prog_ids_of() {
  grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un \
    | paste -sd, - || true
}

# "id name run_cnt run_time_ns" for those of the given program ids whose name starts with pf_.
prog_stats() {
  bpftool prog show --json | python3 -c '
import json, sys
ids = {int(x) for x in sys.argv[1].split(",") if x}
for p in json.load(sys.stdin):
    if p["id"] in ids and p.get("name", "").startswith("pf_"):
        print(p["id"], p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))
' "$1"
}

# A tracer that cannot run is reported in the table with its reason, once.
failed() { echo "$1 $2" >>"$WORK/failed"; }
has_failed() { grep -q "^$1 " "$WORK/failed"; }

run_procflow() {
  local round=$1 err="$WORK/procflow.$1.err" started=0 ids reason
  has_failed procflow && return 0
  "$PROCFLOW" trace --format json --interfaces lo >/dev/null 2>"$err" &
  TRACER_PID=$!
  for _ in $(seq 600); do  # loading and verifying the programs takes a few seconds
    if grep -q "tracing started" "$err"; then started=1; break; fi
    kill -0 "$TRACER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $started -eq 0 ]]; then
    reason=$(grep -v '^\s*$' "$err" | tail -1 || true)
    stop_tracer
    failed procflow "${reason:-did not report \"tracing started\" within 60 s}"
    return 0
  fi
  measure_tracer procflow

  if [[ $round -eq $ROUNDS ]]; then
    # One more run with per-program statistics on, outside the timed runs: the statistics add
    # two clock reads to every program run.
    ids=$(prog_ids_of "$TRACER_PID")
    sysctl -qw "$STATS_SYSCTL=1"
    STATS_CHANGED=1
    prog_stats "$ids" >"$WORK/progs.before"
    "$CONN_STORM" --connections "$CONNS" >/dev/null
    sleep 0.5
    prog_stats "$ids" >"$WORK/progs.after"
    restore_stats
  fi
  stop_tracer
}

run_tcplife() {
  local round=$1 err="$WORK/tcplife.$1.err" reason
  has_failed tcplife && return 0
  if [[ ! -x "$TCPLIFE" ]]; then
    failed tcplife "$TCPLIFE not installed (apt-get install libbpf-tools)"
    return 0
  fi
  "$TCPLIFE" >/dev/null 2>"$err" &
  TRACER_PID=$!
  sleep 2  # tcplife says nothing when ready; its attach takes well under this
  if ! kill -0 "$TRACER_PID" 2>/dev/null; then
    # e.g. no BTF, or a kernel without the hooks it needs.
    reason=$(grep -v '^\s*$' "$err" | tail -1 || true)
    stop_tracer
    failed tcplife "${reason:-exited at start-up}"
    return 0
  fi
  measure_tracer tcplife
  stop_tracer
}

: >"$WORK/results"
: >"$WORK/tracer_cpu"
: >"$WORK/failed"

echo "workload: $ROUNDS rounds x $REPS runs x $CONNS connections per configuration"
echo "          (connect, send 100 B, read 100 B, close; 127.0.0.1)"
others=$(bpftool prog show --json | python3 -c '
import json, sys
names = [p.get("name", "?") for p in json.load(sys.stdin)
         if p["type"] in ("tracing", "kprobe", "tracepoint", "raw_tracepoint", "sched_cls")]
print(len(names), " ".join(sorted(set(names)))[:160])')
echo "BPF programs loaded by others at start (they run in every configuration): $others"

# Rounds interleave the configurations, rotating their order, so that background load which
# changes during the script (this machine may be shared) falls on all of them alike.
configs=(untraced procflow tcplife)
for round in $(seq "$ROUNDS"); do
  for k in 0 1 2; do
    case ${configs[$(((round - 1 + k) % 3))]} in
      untraced) run_workload untraced ;;
      procflow) run_procflow "$round" ;;
      tcplife) run_tcplife "$round" ;;
    esac
  done
  echo "round $round/$ROUNDS done"
done
echo

# ---- report -----------------------------------------------------------------------------------
python3 - "$WORK" "$CONNS" <<'EOF'
import statistics, sys
work, conns = sys.argv[1], int(sys.argv[2])

runs = {}
for line in open(f"{work}/results"):
    c, elapsed, user, sys_ = line.split()
    runs.setdefault(c, []).append((float(elapsed), float(user) + float(sys_)))
tracer_cpu = {}
for line in open(f"{work}/tracer_cpu"):
    c, s = line.split()
    tracer_cpu[c] = tracer_cpu.get(c, 0.0) + float(s)
failures = dict(line.rstrip("\n").split(" ", 1) for line in open(f"{work}/failed"))

def med(c, i):
    return statistics.median(r[i] for r in runs[c])

base, best_base, base_cpu = med("untraced", 0), min(e for e, _ in runs["untraced"]), \
    med("untraced", 1)
print(f"{'config':<9} {'elapsed_s':>9} {'best_s':>7} {'conn/s':>7} {'overhead':>15} "
      f"{'workload_cpu_s':>14} {'tracer_cpu_s':>12} {'tracer_us/conn':>14} {'host_us/conn':>12}")
per_conn = {}
for c in ("untraced", "procflow", "tcplife"):
    if c in failures:
        print(f"{c:<9} not measured: {failures[c]}")
        continue
    el, best, cpu = med(c, 0), min(e for e, _ in runs[c]), med(c, 1)
    if c == "untraced":
        over, tcpu, per, host = "-", "-", "-", "-"
    else:
        over = f"{(el / base - 1) * 100:+.0f}% / {(best / best_base - 1) * 100:+.0f}%"
        n = len(runs[c]) * conns
        per_conn[c] = tracer_cpu[c] / n * 1e6
        tcpu, per = f"{tracer_cpu[c]:.2f}", f"{per_conn[c]:.2f}"
        host = f"{(cpu - base_cpu) / conns * 1e6 + per_conn[c]:.1f}"
    print(f"{c:<9} {el:>9.4f} {best:>7.4f} {conns / el:>7.0f} {over:>15} {cpu:>14.3f} "
          f"{tcpu:>12} {per:>14} {host:>12}")
n = len(runs["untraced"])
print(f"""
elapsed_s, conn/s, workload_cpu_s: median over {n} runs of {conns} connections; best_s: fastest.
overhead: elapsed time vs untraced, median / best.
workload_cpu_s: the workload's own utime+stime per run. BPF programs run in the context of the
  task that triggers them, so the tracers' in-kernel cost shows up here.
tracer_cpu_s: the tracer process's own utime+stime, all runs (+1 s settle per round);
  tracer_us/conn: the same per connection (each connection is 2 local sockets, 4 flow events).
host_us/conn: CPU per connection added by tracing = workload CPU increase + tracer CPU.""")
if "procflow" in per_conn and "tcplife" in per_conn:
    print(f"procflow process CPU = {per_conn['procflow'] / per_conn['tcplife'] * 100:.0f}% "
          "of tcplife's for the same connections.")

def load(path):
    out = {}
    try:
        for line in open(path):
            pid, name, cnt, ns = line.split()
            out[pid] = (name, int(cnt), int(ns))
    except FileNotFoundError:
        pass
    return out

before, after = load(f"{work}/progs.before"), load(f"{work}/progs.after")
if after:
    print(f"\nprocflow BPF programs, one extra run of {conns} connections "
          "(kernel.bpf_stats_enabled=1):")
    print(f"{'program':<24} {'run_cnt':>9} {'run_time_ns':>12} {'ns/run':>7}")
    total_ns = 0
    for pid, (name, cnt, ns) in sorted(after.items(), key=lambda kv: kv[1][0]):
        _, cnt0, ns0 = before.get(pid, (name, 0, 0))
        dc, dn = cnt - cnt0, ns - ns0
        total_ns += dn
        print(f"{name:<24} {dc:>9} {dn:>12} {f'{dn / dc:.0f}' if dc else '-':>7}")
    print(f"{'total':<24} {'':>9} {total_ns:>12}   = {total_ns / conns:.0f} ns per connection")
EOF

# procflow's own account of what it saw and lost, from its exit report of each round.
if compgen -G "$WORK/procflow.*.err" >/dev/null; then
  echo
  for f in "$WORK"/procflow.*.err; do
    r=${f#"$WORK/procflow."}
    echo "procflow round ${r%.err} at exit: $(grep -E 'records, .* lost' "$f" | tail -1 \
      | sed 's/^.*\] //; s/^procflow: info: //' || true)"
    grep -E 'lost: ' "$f" | sed 's/^.*\] /  /' || true
  done
fi
