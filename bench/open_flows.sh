#!/usr/bin/env bash
# procflow's memory with many TCP flows open at once: idle, with N loopback connections held open
# (bench/hold_connections), and after they are closed. Prints VmRSS/VmHWM of the tracer process,
# the kernel memory of its BPF maps, bytes per open flow, and whether every flow was reported.
#
# usage: sudo bench/open_flows.sh [-c CONNECTIONS] [-m MAX_FLOWS] [-r KIB]
#   -c  loopback connections held open (default 50000). Each is two sockets, client and server,
#       and procflow follows each socket as a flow: 2 x CONNECTIONS flows (default 100 000)
#   -m  max_flows, the kernel flows map's entries (default: 2 x CONNECTIONS + 25 %, at least
#       procflow's default 65 536)
#   -r  ring_buffer_kib (default 8192, procflow's default)
# The tracer is `procflow run --config FILE` with a config written here: one JSON output to
# stdout (redirected to a file), TC on `lo` only, max_flows and ring_buffer_kib as above
# (`procflow trace` has no option for the map's size; the service config has).
# Environment: BUILD_DIR (default <repo>/build), PROCFLOW, HOLD override paths;
#   KEEP_EVENTS=1 keeps the events and logs (their directory is printed).
#
# All traffic is on 127.0.0.1 to server ports from 24000 up (8 per holder process); TC is attached
# to `lo` only. A holder keeps both ends of its connections, 2 descriptors each, within the
# RLIMIT_NOFILE hard limit (`ulimit -Hn`; raising it needs CAP_SYS_RESOURCE): as many holders
# are started as the connections need. The events go to a file in a private temp dir (about
# 700 bytes each, 4 per connection), removed at the end. Takes about a minute for 50 000
# connections.
set -euo pipefail

CONNS=50000
MAX_FLOWS=""
RING_KIB=8192
while getopts "c:m:r:h" opt; do
  case "$opt" in
    c) CONNS=$OPTARG ;;
    m) MAX_FLOWS=$OPTARG ;;
    r) RING_KIB=$OPTARG ;;
    *) sed -n '2,23p' "$0"; exit 2 ;;
  esac
done
[[ "$CONNS" =~ ^[1-9][0-9]*$ ]] || { echo "open_flows.sh: -c takes a positive integer" >&2; exit 2; }
[[ -z "$MAX_FLOWS" || "$MAX_FLOWS" =~ ^[1-9][0-9]*$ ]] ||
  { echo "open_flows.sh: -m takes a positive integer" >&2; exit 2; }
[[ "$RING_KIB" =~ ^[1-9][0-9]*$ ]] || { echo "open_flows.sh: -r takes a positive integer" >&2; exit 2; }

FLOWS=$((2 * CONNS))
PROCFLOW_MAP_ENTRIES=65536  # the default max_flows, the size of procflow's `flows` map
if [[ -z "$MAX_FLOWS" ]]; then
  MAX_FLOWS=$((FLOWS + FLOWS / 4))
  ((MAX_FLOWS >= PROCFLOW_MAP_ENTRIES)) || MAX_FLOWS=$PROCFLOW_MAP_ENTRIES
fi
FIRST_PORT=24000
PORTS=8  # server ports per holder: each (client address, server address, port) has ~28 000 client ports
FD_HARD=$(ulimit -Hn)
[[ "$FD_HARD" == unlimited ]] && FD_HARD=1048576
PER_HOLDER=$(((FD_HARD - PORTS - 64) / 2))
((PER_HOLDER > 0)) || { echo "open_flows.sh: RLIMIT_NOFILE hard limit $FD_HARD is too low" >&2; exit 1; }
HOLDERS=$(((CONNS + PER_HOLDER - 1) / PER_HOLDER))
LAST_PORT=$((FIRST_PORT + HOLDERS * PORTS - 1))
((LAST_PORT < 32768)) || { echo "open_flows.sh: too many holders for the ports below 32768" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PROCFLOW=${PROCFLOW:-$BUILD_DIR/procflow}
HOLD=${HOLD:-$BUILD_DIR/bench/hold_connections}

if [[ $EUID -ne 0 ]]; then
  echo "open_flows.sh: must run as root (loads BPF programs)" >&2
  exit 1
fi
for bin in "$PROCFLOW" "$HOLD"; do
  if [[ ! -x "$bin" ]]; then
    echo "open_flows.sh: $bin missing; build with:" >&2
    echo "  cmake --build $BUILD_DIR --target procflow hold_connections -j2" >&2
    exit 1
  fi
done
command -v bpftool >/dev/null || { echo "open_flows.sh: needs bpftool (apt install bpftool)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/procflow-open-flows.XXXXXX)
cat >"$WORK/procflow.yaml" <<EOF
outputs:
  - uri: "-"
    format: json
interfaces: [lo]
ring_buffer_kib: $RING_KIB
max_flows: $MAX_FLOWS
EOF
TRACER_CMD=("$PROCFLOW" run --config "$WORK/procflow.yaml")
TRACER_PID=""
HOLD_PIDS=()

# Stops a process we started, by pid: SIGTERM (procflow handles it like Ctrl-C: detaches its TC
# filters, prints its exit report; background jobs of a script ignore SIGINT), SIGKILL after 20 s.
stop_pid() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  exec 3>&- 2>/dev/null || true
  local pid
  for pid in "${HOLD_PIDS[@]}"; do stop_pid "$pid"; done
  HOLD_PIDS=()
  stop_pid "$TRACER_PID"
  TRACER_PID=""
  if [[ -n "${KEEP_EVENTS:-}" ]]; then echo "events and logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "VmRSS VmHWM RssAnon RssFile RssShmem" in kB.
memory_of() {
  awk '/^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):/ {v[$1] = $2}
       END {print v["VmRSS:"], v["VmHWM:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"]}' \
    "/proc/$1/status"
}

# One line per BPF map the process holds a descriptor of: "id name type max_entries memlock".
maps_of() {
  local fdinfo id
  for fdinfo in /proc/"$1"/fdinfo/*; do
    id=$(awk '/^map_id:/ {print $2}' "$fdinfo" 2>/dev/null) || continue
    [[ -n "$id" ]] || continue
    echo "$id $(awk '/^max_entries:/ {m = $2} /^memlock:/ {l = $2} END {print m, l}' "$fdinfo")"
  done | sort -un | while read -r id max memlock; do
    # "12: hash  name flows  flags 0x0"
    read -r type name < <(bpftool map show id "$id" 2>/dev/null |
      awk 'NR == 1 {n = "?"; for (i = 1; i < NF; i++) if ($i == "name") n = $(i + 1); print $2, n}')
    echo "$id ${name:-?} ${type:-?} $max $memlock"
  done
}

kernel_map_bytes() { maps_of "$1" | awk '{s += $5} END {print s + 0}'; }

PORT_RE="($(seq -s '|' "$FIRST_PORT" "$LAST_PORT"))"
# Events of the held connections only (both sockets of each have the server port as dest_port).
count_events() {
  grep -c -E "\"action\":\"$1\".*\"dest_port\":$PORT_RE[,}]" "$WORK/events.json" || true
}

# Waits until count_events $1 reaches $2 or stops growing for 10 s; prints the count.
wait_for_events() {
  local want=$1 target=$2 last=-1 same=0 n
  while :; do
    n=$(count_events "$want")
    if ((n >= target)); then break; fi
    if ((n == last)); then
      same=$((same + 1))
      ((same < 20)) || break
    else
      same=0
    fi
    last=$n
    sleep 0.5
  done
  echo "$n"
}

kb() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }

echo "tracer: procflow run --config with max_flows: $MAX_FLOWS, ring_buffer_kib: $RING_KIB, interfaces: [lo]"
echo "workload: $CONNS loopback connections to 127.0.0.1:$FIRST_PORT-$LAST_PORT, held open by $HOLDERS process(es)"
echo "expected: $FLOWS procflow flows (2 per loopback connection: the client socket and the server socket)"

"${TRACER_CMD[@]}" >"$WORK/events.json" 2>"$WORK/tracer.log" &
TRACER_PID=$!
for _ in $(seq 600); do
  grep -q "tracing started" "$WORK/tracer.log" && break
  kill -0 "$TRACER_PID" 2>/dev/null || { cat "$WORK/tracer.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "tracing started" "$WORK/tracer.log" || { echo "open_flows.sh: tracer did not start" >&2; exit 1; }
sleep 3  # the start-up walk's snapshot events, the first ticks
read -r IDLE_RSS IDLE_HWM IDLE_ANON IDLE_FILE IDLE_SHMEM < <(memory_of "$TRACER_PID")
IDLE_MAPS=$(kernel_map_bytes "$TRACER_PID")

# Every holder reads the one fifo: closing its write end (EOF) tells them all to close.
mkfifo "$WORK/control"
T0=$(date +%s.%N)
for ((h = 0; h < HOLDERS; h++)); do
  n=$((CONNS - h * PER_HOLDER))
  ((n <= PER_HOLDER)) || n=$PER_HOLDER
  : >"$WORK/hold.$h.out"  # exists before the holder's shell gets past opening the fifo
  "$HOLD" --connections "$n" --first-port $((FIRST_PORT + h * PORTS)) --ports "$PORTS" \
    <"$WORK/control" >"$WORK/hold.$h.out" 2>"$WORK/hold.$h.err" &
  HOLD_PIDS+=($!)
done
exec 3>"$WORK/control"  # held open until the measurement is taken
# Waits until every holder printed $1 ("open", "closed"); fails if one died before it.
wait_for_holders() {
  local h
  for ((h = 0; h < HOLDERS; h++)); do
    until grep -q "^$1" "$WORK/hold.$h.out"; do
      if ! kill -0 "${HOLD_PIDS[$h]}" 2>/dev/null; then
        grep -q "^$1" "$WORK/hold.$h.out" && break
        cat "$WORK/hold.$h.err" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}
wait_for_holders open || { echo "open_flows.sh: a holder failed" >&2; exit 1; }
T1=$(date +%s.%N)
STARTS=$(wait_for_events start "$FLOWS")
sleep 2
read -r OPEN_RSS OPEN_HWM OPEN_ANON OPEN_FILE OPEN_SHMEM < <(memory_of "$TRACER_PID")
OPEN_MAPS=$(kernel_map_bytes "$TRACER_PID")
MAPS_TABLE=$(maps_of "$TRACER_PID")

exec 3>&-
wait_for_holders closed || true
for pid in "${HOLD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
HOLD_PIDS=()
ENDS=$(wait_for_events end "$STARTS")
sleep 3
read -r CLOSED_RSS CLOSED_HWM CLOSED_ANON CLOSED_FILE CLOSED_SHMEM < <(memory_of "$TRACER_PID")

stop_pid "$TRACER_PID"
TRACER_PID=""
FINAL_ENDS=$(count_events end)

echo
awk -v a="$T0" -v b="$T1" 'BEGIN {printf "connections opened in %.1f s\n", b - a}'
echo "flows reported: $STARTS start and $ENDS end events of $FLOWS expected" \
  "($FINAL_ENDS end events once the tracer stopped)"
if ((STARTS == FLOWS && FINAL_ENDS == FLOWS)); then echo "complete: yes"; else echo "complete: NO"; fi
echo
printf "%-22s %10s %10s %10s %10s %10s %12s\n" "tracer process (kB)" VmRSS VmHWM RssAnon RssFile RssShmem "BPF maps"
printf "%-22s %10s %10s %10s %10s %10s %12s\n" idle "$IDLE_RSS" "$IDLE_HWM" "$IDLE_ANON" "$IDLE_FILE" "$IDLE_SHMEM" $((IDLE_MAPS / 1024))
printf "%-22s %10s %10s %10s %10s %10s %12s\n" "$STARTS flows open" "$OPEN_RSS" "$OPEN_HWM" "$OPEN_ANON" "$OPEN_FILE" "$OPEN_SHMEM" $((OPEN_MAPS / 1024))
printf "%-22s %10s %10s %10s %10s %10s %12s\n" "after close" "$CLOSED_RSS" "$CLOSED_HWM" "$CLOSED_ANON" "$CLOSED_FILE" "$CLOSED_SHMEM" "-"
echo
if ((STARTS > 0)); then
  echo "VmRSS growth with the flows open: $(kb $((OPEN_RSS - IDLE_RSS))), $(((OPEN_RSS - IDLE_RSS) * 1024 / STARTS)) bytes per open flow"
  echo "RssAnon growth: $(((OPEN_ANON - IDLE_ANON) * 1024 / STARTS)) bytes per open flow"
fi
echo "kernel memory of the tracer's BPF maps (memlock; preallocated, the same idle and loaded): $(kb $((OPEN_MAPS / 1024)))"
echo
printf "%-6s %-16s %-16s %12s %12s\n" id name type max_entries memlock_kB
echo "$MAPS_TABLE" | awk '{printf "%-6s %-16s %-16s %12s %12d\n", $1, $2, $3, $4, $5 / 1024}'
echo
echo "tracer exit report:"
grep -E "flows started|records,|lost" "$WORK/tracer.log" | sed 's/^/  /' || true
