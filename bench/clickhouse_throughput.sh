#!/usr/bin/env bash
# ClickHouse output throughput on this machine: a private clickhouse-server
# (its own ports and data directory, gone afterwards), the shipped table
# (deploy/clickhouse/flows.sql), and sink_bench pushing EVENTS events through
# procflow's ClickHouse output. Prints sink_bench's JSON line, then the rows
# the table holds (which must equal the events: nothing lost, nothing twice).
#
#   bench/clickhouse_throughput.sh [EVENTS] [URI_OPTIONS]
#     EVENTS       default 200000
#     URI_OPTIONS  appended to the output URI, e.g. '&max_rows=50000'
#   PROCFLOW_BUILD_DIR (build), PF_CH_HTTP_PORT (18123), PF_CH_TCP_PORT (19000)
set -euo pipefail
cd "$(dirname "$0")/.."

events=${1:-200000}
options=${2:-}
build=${PROCFLOW_BUILD_DIR:-build}
http=${PF_CH_HTTP_PORT:-18123}
native=${PF_CH_TCP_PORT:-19000}
bench="$build/bench/sink_bench"
[ -x "$bench" ] || { echo "no $bench: build first (cmake --build $build --target sink_bench)" >&2; exit 2; }
command -v clickhouse-server >/dev/null || { echo "clickhouse-server is not installed" >&2; exit 2; }

dir=$(mktemp -d /tmp/procflow-ch-bench-XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# The smallest config 18.16 runs with (the integration tests' ClickHouseServer).
cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog><console>0</console></logger>
  <http_port>$http</http_port>
  <tcp_port>$native</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
</yandex>
EOF
clickhouse-server --config-file="$dir/config.xml" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$http/ping" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$http/ping" >/dev/null ||
  { echo "clickhouse-server did not answer on port $http:" >&2; cat "$dir/error.log" >&2; exit 1; }
clickhouse-client --port "$native" --multiquery <deploy/clickhouse/flows.sql

"$bench" "clickhouse+http://127.0.0.1:$http/?database=procflow&table=flows$options" "$events"
rows=$(curl -sf --data-binary 'SELECT count() FROM procflow.flows' "http://127.0.0.1:$http/")
echo "{\"rows_in_table\":$rows,\"events\":$events}"
