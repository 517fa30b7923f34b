#!/usr/bin/env bash
# What tracing costs the host, in one command: the same TCP workloads (bench/conn_storm) run
# untraced, under `procflow trace` and under libbpf-tools' tcplife (the reference the targets are
# stated against), on two paths, in rotating rounds. Results and how to read them:
# docs/performance.md.
#
# usage: sudo bench/overhead.sh [-P PATHS] [-R ROUNDS] [-r REPS] [-n CONNECTIONS] [-p PARALLEL]
#                               [-b BULK_MIB] [-c BULK_CONNECTIONS]
#   -P  paths, comma-separated (default lo,veth):
#         lo    client and server on 127.0.0.1; procflow --interfaces lo
#         veth  server in network namespace pfb-srv (10.77.0.2 on pfb1), client in ours
#               (10.77.0.1 on pfb0); procflow --interfaces pfb0. Made here, removed on exit
#   -R  rounds (default 5); each round runs every path and configuration, tracers restarted
#   -r  runs of each workload per path, configuration and round (default 3)
#   -n  short connections per run (default 5000): connect, 100 B each way, close
#   -p  short connections in flight at once (client threads, default 4)
#   -b  MiB each bulk connection sends (default 256; the answer is 100 B)
#   -c  bulk connections per run, all at once (default 2)
# Environment: BUILD_DIR (default <repo>/build), PROCFLOW, CONN_STORM, TCPLIFE override paths.
#
# Takes about a minute per round with the defaults on a 2-core machine (4-6 minutes).
set -euo pipefail

PATHS=lo,veth
ROUNDS=5
REPS=3
CONNS=5000
PARALLEL=4
BULK_MIB=256
BULK_CONNS=2
while getopts "P:R:r:n:p:b:c:h" opt; do
  case "$opt" in
    P) PATHS=$OPTARG ;;
    R) ROUNDS=$OPTARG ;;
    r) REPS=$OPTARG ;;
    n) CONNS=$OPTARG ;;
    p) PARALLEL=$OPTARG ;;
    b) BULK_MIB=$OPTARG ;;
    c) BULK_CONNS=$OPTARG ;;
    *) sed -n '7,22p' "$0"; exit 2 ;;
  esac
done
for v in "$ROUNDS" "$REPS" "$CONNS" "$PARALLEL" "$BULK_MIB" "$BULK_CONNS"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "overhead.sh: -R/-r/-n/-p/-b/-c take positive integers" >&2; exit 2; }
done
IFS=, read -r -a PATH_LIST <<<"$PATHS"
for p in "${PATH_LIST[@]}"; do
  [[ "$p" == lo || "$p" == veth ]] || { echo "overhead.sh: -P: unknown path '$p' (lo, veth)" >&2; exit 2; }
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PROCFLOW=${PROCFLOW:-$BUILD_DIR/procflow}
CONN_STORM=${CONN_STORM:-$BUILD_DIR/bench/conn_storm}
TCPLIFE=${TCPLIFE:-/usr/sbin/tcplife}
REPORT="$HERE/overhead_report.py"

# The veth path. Fixed names, so that they are easy to recognise; a second instance of this
# script refuses to start rather than share them.
NETNS=pfb-srv
HOST_IF=pfb0
PEER_IF=pfb1
HOST_ADDR=10.77.0.1
SERVER_ADDR=10.77.0.2

if [[ $EUID -ne 0 ]]; then
  echo "overhead.sh: must run as root (loads BPF programs, makes a network namespace)" >&2
  exit 1
fi
for bin in "$PROCFLOW" "$CONN_STORM"; do
  if [[ ! -x "$bin" ]]; then
    echo "overhead.sh: $bin missing; build with:" >&2
    echo "  cmake --build $BUILD_DIR --target procflow conn_storm -j2" >&2
    exit 1
  fi
done
if [[ ! -x "$TCPLIFE" ]]; then
  echo "overhead.sh: $TCPLIFE missing: apt-get install libbpf-tools" >&2
  exit 1
fi
for tool in bpftool ip python3 sysctl; do
  command -v "$tool" >/dev/null || { echo "overhead.sh: $tool not found" >&2; exit 1; }
done

# On tmpfs when there is one: the tracers' output is written there to count completeness, and a
# disk file could block procflow's writer behind other jobs' I/O (it would then drop events).
TMP_PARENT=/tmp
if [[ -d /dev/shm && -w /dev/shm ]]; then TMP_PARENT=/dev/shm; fi
WORK=$(mktemp -d "$TMP_PARENT/procflow-overhead.XXXXXX")
STATS_SYSCTL=kernel.bpf_stats_enabled
STATS_SAVED=$(sysctl -n "$STATS_SYSCTL")
STATS_CHANGED=0
TRACER_PID=""
TRACER_STOP_SIGNAL=TERM
MADE_NETNS=0
MADE_VETH=0

# Stops the tracer we started (and only it, by pid). procflow takes SIGTERM like Ctrl-C (detaches,
# prints its loss report); SIGINT would not reach it, as background jobs of a script start with
# SIGINT ignored. tcplife handles only SIGINT (it installs its own handler, so the inherited
# "ignore" does not matter) and flushes its output on the way out; SIGTERM would lose the tail.
# SIGKILL if the tracer does not go within 10 s.
stop_tracer() {
  local pid=$TRACER_PID
  TRACER_PID=""
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -"$TRACER_STOP_SIGNAL" "$pid" 2>/dev/null || true
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

remove_veth() {
  # Deleting one end of a veth pair deletes both; the namespace goes with its name.
  if [[ $MADE_VETH -eq 1 ]]; then
    ip link del "$HOST_IF" 2>/dev/null || true
    MADE_VETH=0
  fi
  if [[ $MADE_NETNS -eq 1 ]]; then
    ip netns del "$NETNS" 2>/dev/null || true
    MADE_NETNS=0
  fi
}

cleanup() {
  stop_tracer
  restore_stats
  remove_veth
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # exit runs the EXIT trap

make_veth() {
  if [[ -e /run/netns/$NETNS ]] || ip link show "$HOST_IF" >/dev/null 2>&1; then
    echo "overhead.sh: $NETNS or $HOST_IF already exists (another overhead.sh running?);" \
      "if not, remove them: ip netns del $NETNS; ip link del $HOST_IF" >&2
    exit 1
  fi
  if ip -4 -o addr show | grep -q " ${HOST_ADDR%.*}\."; then
    echo "overhead.sh: ${HOST_ADDR%.*}.0/24 is already in use on this host" >&2
    exit 1
  fi
  ip netns add "$NETNS"
  MADE_NETNS=1
  ip link add "$HOST_IF" type veth peer name "$PEER_IF" netns "$NETNS"
  MADE_VETH=1
  ip addr add "$HOST_ADDR/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NETNS" addr add "$SERVER_ADDR/24" dev "$PEER_IF"
  ip -n "$NETNS" link set "$PEER_IF" up
  ip -n "$NETNS" link set lo up
  for _ in $(seq 50); do  # the link may need a moment to come up on both sides
    if "$CONN_STORM" --connections 1 --netns "$NETNS" --server-address "$SERVER_ADDR" \
      >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "overhead.sh: $SERVER_ADDR does not answer over $HOST_IF" >&2
  exit 1
}

# CPU time of a process (all its threads), in seconds: the sum of each thread's run time in ns
# from /proc/PID/task/*/schedstat. utime+stime in /proc/PID/stat come in clock ticks (10 ms),
# too coarse for a few thousand connections. The tracers' threads live as long as the tracer,
# so none of them takes its time away by exiting between two readings.
cpu_seconds() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $1 } END { printf "%.6f", ns / 1e9 }'
}

# Peak resident set (VmHWM) of a process, in kB.
peak_rss_kb() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

server_addr_of() { if [[ $1 == lo ]]; then echo 127.0.0.1; else echo "$SERVER_ADDR"; fi; }
interface_of() { if [[ $1 == lo ]]; then echo lo; else echo "$HOST_IF"; fi; }

# One conn_storm run of a workload on a path; prints its key=value line.
storm() {
  local path=$1 workload=$2 args=()
  [[ $path == veth ]] && args+=(--netns "$NETNS" --server-address "$SERVER_ADDR")
  if [[ $workload == short ]]; then
    args+=(--connections "$CONNS" --parallel "$PARALLEL" --bytes 100)
  else
    args+=(--connections "$BULK_CONNS" --parallel "$BULK_CONNS"
      --bytes $((BULK_MIB * 1024 * 1024)) --answer-bytes 100)
  fi
  "$CONN_STORM" "${args[@]}"
}

# Runs a workload REPS times. Appends "round path config workload elapsed_s connections bytes
# cpu_s" to results, and "connections port" to the ports the current tracer has to report.
run_workload() {
  local round=$1 path=$2 config=$3 workload=$4 line
  for _ in $(seq "$REPS"); do
    if ! line=$(storm "$path" "$workload"); then
      echo "overhead.sh: conn_storm failed ($path, $workload, $config): $line" >&2
      exit 1
    fi
    awk -v pre="$round $path $config $workload" -v ports="$WORK/ports" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print pre, v["elapsed_s"], v["connections"], v["bytes"], v["cpu_user_s"] + v["cpu_sys_s"]
        print v["connections"], v["port"] >> ports
      }' <<<"$line" >>"$WORK/results"
  done
}

# Other tracers on the host: BPF programs on global hooks (every socket and process of the host
# runs them) that are not the current tracer's. Another procflow or tcplife loaded meanwhile
# (a test suite, another engineer) would trace the untraced runs too. Prints "count names".
foreign_tracers() {
  local ours=""
  if [[ -n "$TRACER_PID" ]]; then ours=$(prog_ids_of "$TRACER_PID"); fi
  bpftool prog show --json | python3 -c '
import json, sys
ours = {int(x) for x in sys.argv[1].split(",") if x}
hooks = ("tracing", "kprobe", "tracepoint", "raw_tracepoint", "perf_event", "cgroup_sock",
         "cgroup_sock_addr", "cgroup_skb", "lsm")
names = [p.get("name", "?") for p in json.load(sys.stdin)
         if p["type"] in hooks and p["id"] not in ours]
distinct = sorted(set(names))
print(len(names), ",".join(distinct[:16]) + (",..." if len(distinct) > 16 else "") or "-")' "$ours"
}

# Both workloads in one configuration; under a tracer (TRACER_PID set), records its CPU time for
# each. A 1 s pause follows each workload: it lets a tracer finish what it was given (procflow
# holds ends for a 250 ms linger; the pause is counted in the tracer's CPU, to its
# disadvantage). It follows in every configuration alike, so that the work the kernel does
# after a burst of short connections falls the same way on every configuration's bulk runs.
run_config() {
  local round=$1 path=$2 config=$3 workload cpu0="" cpu1
  echo "$round $path $config $(foreign_tracers)" >>"$WORK/foreign"
  # The 1-minute load average: how busy the (possibly shared) machine was, for the report.
  awk '{ print $1 }' /proc/loadavg >>"$WORK/load"
  # TCP sockets allocated host-wide (all namespaces; TIME_WAIT not counted). Other jobs' open
  # sockets fill the tracers' flow maps (procflow's holds 65536, tcplife's 10240): the
  # report names the runs where many were open.
  echo "$round $path $config $(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "alloc") print $(i + 1) }' /proc/net/sockstat)" >>"$WORK/tcp_alloc"
  for workload in short bulk; do
    if [[ -n "$TRACER_PID" ]]; then cpu0=$(cpu_seconds "$TRACER_PID"); fi
    run_workload "$round" "$path" "$config" "$workload"
    sleep 1
    if [[ -n "$TRACER_PID" ]]; then
      cpu1=$(cpu_seconds "$TRACER_PID")
      echo "$round $path $config $workload $cpu0 $cpu1" \
        | awk '{ printf "%s %s %s %s %.6f\n", $1, $2, $3, $4, $6 - $5 }' >>"$WORK/tracer_cpu"
    fi
  done
}

# BPF program ids held by a process: every prog or link fd it has open names one. This picks
# out this tracer's programs even when another procflow or tcplife is loaded too.
prog_ids_of() {
  grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un \
    | paste -sd, - || true
}

# "id name run_cnt run_time_ns" for the given program ids.
prog_stats() {
  bpftool prog show --json | python3 -c '
import json, sys
ids = {int(x) for x in sys.argv[1].split(",") if x}
for p in json.load(sys.stdin):
    if p["id"] in ids:
        print(p["id"], p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))
' "$1"
}

# One more short run with per-program statistics on, outside the timed runs: the statistics add
# two clock reads to every program run. One per tracer, path and round, as the ns per run of
# a program moves with the other load on a shared machine as much as anything else does. Its
# connections count towards completeness.
bpf_stats_run() {
  local round=$1 path=$2 config=$3 ids line
  ids=$(prog_ids_of "$TRACER_PID")
  sysctl -qw "$STATS_SYSCTL=1"
  STATS_CHANGED=1
  prog_stats "$ids" >"$WORK/progs.$path.$config.$round.before"
  line=$(storm "$path" short)
  sleep 0.5
  prog_stats "$ids" >"$WORK/progs.$path.$config.$round.after"
  restore_stats
  awk -v ports="$WORK/ports" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print v["connections"], v["port"] >> ports
    }' <<<"$line"
}

# A tracer that cannot run on a path is reported in the table with its reason, once.
failed() { echo "$1 $2 $3" >>"$WORK/failed"; }
has_failed() { grep -q "^$1 $2 " "$WORK/failed"; }

# After a tracer stopped: how many of the sockets of this instance's runs it reported (2 per
# connection, client and server), and its peak RSS.
account_instance() {
  local round=$1 path=$2 config=$3 out=$4 rss=$5
  echo "$round $path $config $rss" >>"$WORK/rss"
  echo "$round $path $config $(python3 "$REPORT" count "$config" "$out" \
    "$(server_addr_of "$path")" "$WORK/ports")" >>"$WORK/complete"
  rm -f "$out" "$WORK/ports"
}

run_procflow() {
  local round=$1 path=$2 err="$WORK/procflow.$2.$1.err" out="$WORK/procflow.out" started=0 reason rss
  has_failed "$path" procflow && return 0
  : >"$WORK/ports"
  : >"$err"  # before the tracer starts: the loop below reads it at once
  # The output goes to a file, not /dev/null, so that completeness can be counted.
  "$PROCFLOW" trace --format json --interfaces "$(interface_of "$path")" >"$out" 2>"$err" &
  TRACER_PID=$!
  TRACER_STOP_SIGNAL=TERM
  for _ in $(seq 600); do  # loading and verifying the programs takes a few seconds
    if grep -q "tracing started" "$err"; then started=1; break; fi
    kill -0 "$TRACER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $started -eq 0 ]]; then
    reason=$(grep -v '^\s*$' "$err" | tail -1 || true)
    stop_tracer
    failed "$path" procflow "${reason:-did not report \"tracing started\" within 60 s}"
    return 0
  fi
  run_config "$round" "$path" procflow
  bpf_stats_run "$round" "$path" procflow
  rss=$(peak_rss_kb "$TRACER_PID")
  stop_tracer
  account_instance "$round" "$path" procflow "$out" "$rss"
}

run_tcplife() {
  local round=$1 path=$2 err="$WORK/tcplife.$2.$1.err" out="$WORK/tcplife.out" reason rss
  has_failed "$path" tcplife && return 0
  : >"$WORK/ports"
  "$TCPLIFE" >"$out" 2>"$err" &
  TRACER_PID=$!
  TRACER_STOP_SIGNAL=INT
  sleep 2  # tcplife says nothing when ready; its attach takes well under this
  if ! kill -0 "$TRACER_PID" 2>/dev/null; then
    # e.g. no BTF, or a kernel without the hooks it needs.
    reason=$(grep -v '^\s*$' "$err" | tail -1 || true)
    stop_tracer
    failed "$path" tcplife "${reason:-exited at start-up}"
    return 0
  fi
  run_config "$round" "$path" tcplife
  bpf_stats_run "$round" "$path" tcplife
  rss=$(peak_rss_kb "$TRACER_PID")
  stop_tracer
  account_instance "$round" "$path" tcplife "$out" "$rss"
}

for f in results tracer_cpu rss complete failed foreign load tcp_alloc; do : >"$WORK/$f"; done
if [[ " ${PATH_LIST[*]} " == *" veth "* ]]; then make_veth; fi

echo "paths: ${PATH_LIST[*]}; $ROUNDS rounds x $REPS runs of each workload per configuration"
echo "  short: $CONNS connections, $PARALLEL at a time (connect, 100 B each way, close)"
echo "  bulk:  $BULK_CONNS connections at once, each sending $BULK_MIB MiB (answer 100 B)"
echo "BPF programs of other tracers at start: $(foreign_tracers)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"

# Rounds interleave paths and configurations, rotating the order of the configurations, so
# that background load which changes during the script (this machine may be shared) falls on
# all of them alike.
configs=(untraced procflow tcplife)
for round in $(seq "$ROUNDS"); do
  for path in "${PATH_LIST[@]}"; do
    for k in 0 1 2; do
      case ${configs[$(((round - 1 + k) % 3))]} in
        untraced) run_config "$round" "$path" untraced ;;
        procflow) run_procflow "$round" "$path" ;;
        tcplife) run_tcplife "$round" "$path" ;;
      esac
    done
  done
  echo "round $round/$ROUNDS done ($SECONDS s, load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
echo

python3 "$REPORT" report "$WORK" "$CONNS" "$PARALLEL" "$BULK_CONNS" "$BULK_MIB"

# procflow's own account of what it saw and lost, from its exit report of each round; tcplife's
# complaints (it says "lost N events" when its perf buffer overflows).
echo
for f in "$WORK"/procflow.*.err; do
  [[ -e "$f" ]] || continue
  r=${f#"$WORK/procflow."}
  echo "procflow ${r%.err} at exit: $(grep -E 'records, .* lost' "$f" | tail -1 \
    | sed 's/^.*\] //; s/^procflow: info: //' || true)"
  grep -E 'lost: ' "$f" | sed 's/^.*\] /  /' || true
done
for f in "$WORK"/tcplife.*.err; do
  [[ -s "$f" ]] || continue
  r=${f#"$WORK/tcplife."}
  echo "tcplife ${r%.err} stderr: $(grep -c . "$f") lines, e.g. $(head -1 "$f")"
done
