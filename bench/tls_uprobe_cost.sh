#!/usr/bin/env bash
# The TLS uprobes' cost per SSL_write (issue 11): bench/tls_write_bench run
# untraced, under `procflow trace --disable-hook tls_uprobe` (the socket and
# packet hooks every write also costs) and under `procflow trace` with the
# uprobes attached, in rotating rounds; median ns per call of each. The
# uprobes' cost is the difference of the last two. The other end's SSL_read
# (a thread of the same program) is probed too and shares the CPUs.
#
# usage: sudo bench/tls_uprobe_cost.sh [-R ROUNDS] [-n CALLS] [-b BYTES]
# Environment: BUILD_DIR (default <repo>/build), PROCFLOW overrides the binary.
# Takes the BPF lock other users of the machine share (/tmp/procflow-bpf.lock).
set -euo pipefail

ROUNDS=5
CALLS=200000
BYTES=64
while getopts "R:n:b:h" opt; do
  case "$opt" in
    R) ROUNDS=$OPTARG ;;
    n) CALLS=$OPTARG ;;
    b) BYTES=$OPTARG ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build}
PROCFLOW=${PROCFLOW:-$BUILD_DIR/procflow}
work=$(mktemp -d /tmp/pf-tls-bench.XXXXXX)
procflow_pid=
cleanup() {
  [[ -n $procflow_pid ]] && kill -TERM "$procflow_pid" 2>/dev/null && wait "$procflow_pid" || true
  rm -rf "$work"
}
trap cleanup EXIT

# Built here, not by the project's CMake: the workload shares nothing with the tracer.
c++ -O2 -std=c++20 -o "$work/tls_write_bench" "$here/tls_write_bench.cpp" -lssl -lcrypto -pthread
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=bench -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

run() { "$work/tls_write_bench" "$work/cert.pem" "$work/key.pem" "$CALLS" "$BYTES" | sed 's/.*ns_per_write=//'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ns per SSL_write under procflow with the given extra arguments.
traced_run() {
  "$PROCFLOW" trace --format json --interfaces lo "$@" >/dev/null 2>"$work/procflow.log" &
  procflow_pid=$!
  until grep -q "tracing started" "$work/procflow.log"; do
    kill -0 "$procflow_pid" || { cat "$work/procflow.log" >&2; exit 1; }
    sleep 0.2
  done
  run
  # SIGTERM: a script's background jobs start with SIGINT ignored.
  kill -TERM "$procflow_pid"; wait "$procflow_pid" || true; procflow_pid=
}

untraced=() no_tls=() tls=()
for ((r = 1; r <= ROUNDS; r++)); do
  untraced+=("$(run)")
  no_tls+=("$(traced_run --disable-hook tls_uprobe)")
  tls+=("$(traced_run)")
  grep -q "TLS plaintext from" "$work/procflow.log" || { echo "no TLS uprobes:"; cat "$work/procflow.log"; exit 1; }
  echo "round $r: untraced ${untraced[-1]} ns, traced without TLS uprobes ${no_tls[-1]} ns, with ${tls[-1]} ns per SSL_write"
done
u=$(printf '%s\n' "${untraced[@]}" | median)
n=$(printf '%s\n' "${no_tls[@]}" | median)
t=$(printf '%s\n' "${tls[@]}" | median)
echo "SSL_write of $BYTES B over TCP loopback, median of $ROUNDS rounds x $CALLS calls:"
echo "  untraced $u ns, traced without TLS uprobes $n ns, with $t ns: the uprobes cost $((t - n)) ns per SSL_write (and its SSL_read)"
