#!/usr/bin/env bash
# procflow's node image, run the way its DaemonSet runs it, with podman (runc):
# the host namespaces, privileges, environment and mounts of the rendered
# DaemonSet (podman_args.py), once as the privileged variant and once as the
# least-privilege one, with the ConfigMap's config told to attach TC to lo only.
# Two more containers from a peer image built here exchange traffic over lo:
# a TCP connection and a UDP exchange between client containers and server
# containers. The tracer's stdout must carry their flows with the host's pids
# (podman's pidfiles, /proc NSpid), the in-container pids and the container ids
# (podman inspect), exe, image_path, user and exact byte counts (the peers' own
# reports), and the node name of the downward API; the probes' /healthz and
# /readyz and /metrics must answer. Then a held connection is open when the tracer
# container is stopped: its flows end with end_reason tracer_stop, and no TC
# filter, qdisc or BPF program of procflow's is left on the host.
#
#   tests/container/run.sh [BUILD_DIR]     (default: build; root)
# Needs procflow and the integration helpers built in BUILD_DIR, podman, runc,
# bpftool and tc (scripts/setup.sh installs them), and the Debian kubectl of
# tests/kubernetes/fetch-debian-tools.sh to render the manifests. Anything
# missing is a failure, never a skip. Takes about a minute.
# PROCFLOW_CONTAINER_TEST_KEEP=1 keeps the events, logs and reports.
#
# Everything podman keeps (images, containers, locks) lives in a private
# directory removed at the end; the whole test runs in a mount namespace of
# its own, with a bpffs of its own at /sys/fs/bpf, under the machine's BPF
# test lock (/tmp/procflow-bpf.lock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=$(cd "${1:-$repo/build}" && pwd)

fail() { echo "container test: FAILED: $*" >&2; exit 1; }
say() { echo "container test: $*"; }

[[ $EUID -eq 0 ]] || fail "needs root"
for tool in podman runc bpftool tc python3 flock unshare curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
kubectl=$build_dir/debian-tools/usr/bin/kubectl
[[ -x $kubectl ]] || fail "$kubectl missing: run scripts/setup.sh"

if [[ -z ${PROCFLOW_CONTAINER_TEST_INNER:-} ]]; then
  export PROCFLOW_CONTAINER_TEST_INNER=1
  exec flock /tmp/procflow-bpf.lock unshare --mount --propagation private "$0" "$build_dir"
fi

started=$SECONDS
state=$(mktemp -d /tmp/procflow-container-test.XXXXXX)
mkdir -p "$state/config" "$state/pods" "$state/containers" "$state/run-procflow" "$state/tmp"
# A bpffs of this test's own (this mount namespace only), as the hostPath.
mount -t bpf bpf /sys/fs/bpf

# podman, private to this test: runc (crun fails on hybrid cgroups), ulimits
# root may set here, file locks and storage under $state.
cat >"$state/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
lock_type = "file"
tmp_dir = "$state/tmp"
EOF
cat >"$state/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$state/storage"
runroot = "$state/runroot"
EOF
export CONTAINERS_CONF=$state/containers.conf CONTAINERS_STORAGE_CONF=$state/storage.conf

cleanup() {
  podman rm --force --all --time 0 >/dev/null 2>&1 || true
  podman rmi --all --force >/dev/null 2>&1 || true
  umount /sys/fs/bpf 2>/dev/null || true
  if [[ -n ${PROCFLOW_CONTAINER_TEST_KEEP:-} ]]; then
    echo "container test: kept $state"
  else
    rm -rf "$state"
  fi
}
trap cleanup EXIT

# Waits up to $2 seconds for file $1 to contain $3.
wait_for() {
  local deadline=$((SECONDS + $2))
  until grep -q -- "$3" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "no '$3' in $1 after $2 s: $(tail -n 5 "$1" 2>/dev/null)"
    sleep 0.2
  done
}

# --- images -----------------------------------------------------------------
t0=$SECONDS
image=localhost/procflow:test
bash "$repo/deploy/container/build.sh" "$build_dir" "$image"
size_kib=$(($(podman image inspect --format '{{.Size}}' "$image") / 1024))
peers=localhost/procflow-test-peers:test
bash "$here/build-peer-image.sh" "$build_dir" "$peers"
say "images built in $((SECONDS - t0)) s; procflow image $size_kib KiB"

# --- the DaemonSet's config, from the rendered ConfigMap --------------------
"$kubectl" kustomize "$repo/deploy/kubernetes" >"$state/privileged.yaml"
"$kubectl" kustomize "$repo/deploy/kubernetes/least-privilege" >"$state/least-privilege.yaml"
free_port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.$1); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
metrics_port=$(free_port SOCK_STREAM)
python3 "$here/adapt_config.py" "$state/privileged.yaml" "$metrics_port" >"$state/config/procflow.yaml"
podman run --rm --network=none -v "$state/config:/etc/procflow:ro" "$image" --check-config 2>&1 |
  sed 's/^/  /' || fail "the adapted ConfigMap config is refused"

node_name=pf-test-node

# GET http://127.0.0.1:$metrics_port$1 must answer 200, as the DaemonSet's probes expect.
probe() {
  local code
  code=$(curl -s -o "$state/probe.out" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$metrics_port$1") || true
  [[ $code == 200 ]] || fail "GET $1 answered ${code:-nothing}: $(head -c 300 "$state/probe.out" 2>/dev/null)"
}

# One run of the tracer as the DaemonSet VARIANT (privileged, least-privilege)
# runs it, the peers' exchange, the stop, and the checks.
run_variant() {
  local variant=$1 variant_started=$SECONDS
  local truth=$state/$variant
  mkdir -p "$truth"
  say "--- $variant"

  # What is on the host before.
  local bpf_ids_before tc_before
  bpf_ids_before=$(python3 "$here/bpf_programs.py" max-id)
  tc_before=$(tc qdisc show dev lo; tc filter show dev lo ingress; tc filter show dev lo egress)

  # The tracer: host namespaces, privileges, environment and mounts from the
  # rendered DaemonSet; the real /var/log/pods, /var/log/containers and /run/procflow swapped for
  # the test's own directories.
  local pod_options
  mapfile -t pod_options < <(python3 "$here/podman_args.py" "$state/$variant.yaml" \
    --node-name "$node_name" --config-dir "$state/config" \
    --host-path "/var/log/pods=$state/pods" --host-path "/var/log/containers=$state/containers" \
    --host-path "/run/procflow=$state/run-procflow")
  podman run --name pf-tracer "${pod_options[@]}" "$image" >"$truth/events.json" 2>"$truth/tracer.log" &
  local tracer_client=$!
  wait_for "$truth/tracer.log" 60 "tracing started"
  say "tracer attached in $((SECONDS - variant_started)) s: $(grep -o 'tracing started.*' "$truth/tracer.log")"
  say "$(grep -o 'capabilities kept after start-up.*' "$truth/tracer.log")"
  # The DaemonSet's liveness and readiness probes, and the metrics.
  probe /healthz
  probe /readyz
  probe /metrics
  [[ -s $state/probe.out ]] || fail "/metrics is empty"
  say "/healthz, /readyz and /metrics answer 200 on the metrics port"
  # For the DaemonSet's requests and limits: what the container's cgroup holds
  # (the BPF maps included). Reported, not checked.
  say "tracer container memory: $(podman stats --no-stream --format '{{.MemUsage}}' pf-tracer 2>&1 || true)"

  # The peers.
  local tcp_port udp_port
  tcp_port=$(free_port SOCK_STREAM)
  udp_port=$(free_port SOCK_DGRAM)
  echo "{\"tcp_port\": $tcp_port, \"udp_port\": $udp_port, \"node_name\": \"$node_name\"}" >"$truth/ports.json"
  peer() {  # NAME PROGRAM ARGS...: a peer container on the host network, its host pid in NAME.pid
    local name=$1; shift
    podman run --name "$name" --network=host --pidfile "$truth/$name.pid" "$peers" "/usr/local/bin/$1" "${@:2}"
  }

  # The TCP server: two workers (children of the container's first process).
  peer tcp-server prefork_server 127.0.0.1 "$tcp_port" 2 3000 >"$truth/tcp-server.log" 2>&1 &
  wait_for "$truth/tcp-server.log" 20 '"listening":true'
  local server_pid workers child host_pid ns_pid
  server_pid=$(cat "$truth/tcp-server.pid")
  # In-container pid -> host pid of each worker, from the host's /proc (NSpid).
  read -r -a workers <"/proc/$server_pid/task/$server_pid/children" || true  # no newline: read says EOF
  ((${#workers[@]} == 2)) || fail "the TCP server has ${#workers[@]} workers, not 2"
  for child in "${workers[@]}"; do
    read -r host_pid ns_pid < <(awk '/^NSpid:/ {print $2, $3}' "/proc/$child/status")
    echo "{\"host_pid\": $host_pid, \"ns_pid\": $ns_pid, \"exe\": \"$(readlink "/proc/$child/exe")\"}"
  done >"$truth/tcp-workers.json"

  # One TCP connection: 5000 bytes up, 3000 down.
  peer tcp-client tcp_client 127.0.0.1 "$tcp_port" 5000 >"$truth/tcp-client.json" ||
    fail "tcp_client: $(cat "$truth/tcp-client.json")"
  wait_for "$truth/tcp-server.log" 10 '"received":5000'

  # The UDP exchange: three datagrams, each answered with twice its size.
  peer udp-server udp_peer server 127.0.0.1 "$udp_port" 3 2 >"$truth/udp-server.log" 2>&1 &
  wait_for "$truth/udp-server.log" 20 '"listening":true'
  peer udp-client udp_peer client 127.0.0.1 "$udp_port" --sizes 100,200,300 >"$truth/udp-client.json" ||
    fail "udp_peer client: $(cat "$truth/udp-client.json")"
  wait_for "$truth/udp-server.log" 10 '"datagrams_received":3'

  # A connection held open while the tracer stops.
  peer held-client tcp_client 127.0.0.1 "$tcp_port" 700 --hold-ms 60000 >"$truth/held-client.json" 2>&1 &
  wait_for "$truth/held-client.json" 20 '"holding":true'
  # TCP ends are written 250 ms after the close; give the exchange's ends time.
  sleep 1.5

  # Each peer container's id, as podman knows it: the events' container_id.
  local container
  for container in tcp-server tcp-client udp-server udp-client held-client; do
    podman inspect --format '{{.Id}}' "$container" >"$truth/$container.id"
  done

  # Stop the tracer as the kubelet does (SIGTERM, then the grace period).
  local t0=$SECONDS
  podman stop --time 30 pf-tracer >/dev/null
  wait "$tracer_client" || fail "the tracer container exited with $?: $(tail -n 20 "$truth/tracer.log")"
  say "tracer stopped in $((SECONDS - t0)) s (exit 0)"
  podman rm --force --all --time 0 >/dev/null

  # Nothing of procflow's left on the host.
  local tc_after leftover
  tc_after=$(tc qdisc show dev lo; tc filter show dev lo ingress; tc filter show dev lo egress)
  [[ $tc_after == "$tc_before" ]] || fail "TC state of lo changed: before: [$tc_before] after: [$tc_after]"
  leftover=$(python3 "$here/bpf_programs.py" since "$bpf_ids_before")
  [[ -z $leftover ]] || fail "procflow's BPF programs still loaded after the stop: $leftover"
  say "no TC filter, qdisc or BPF program of procflow's left"

  python3 "$here/check_events.py" "$truth/events.json" "$truth" ||
    fail "$variant: events (tracer log: $(tail -n 5 "$truth/tracer.log"))"
  say "$variant passed in $((SECONDS - variant_started)) s"
}

run_variant privileged
run_variant least-privilege
say "passed in $((SECONDS - started)) s"
