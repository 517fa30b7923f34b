#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for procflow and builds it: installs the
# Debian packages it needs (only those missing), then configures and builds
# into build/. Idempotent; safe to run again. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential cmake pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
  # libraries
  libspdlog-dev libfmt-dev libcli11-dev rapidjson-dev libyaml-cpp-dev libssl-dev
  libpcap-dev libldns-dev libc-ares-dev libndpi-dev libcpp-httplib-dev libsystemd-dev
  # procflow top's screen
  libncurses-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  # real peers and tools the tests drive
  iproute2 util-linux python3 curl openssl tshark tcpdump ethtool dnsmasq nginx libbpf-tools
  # the fsync policy test watches procflow's fsync calls
  strace
  # the top suite drives procflow top in a terminal it can read back
  tmux
  # packaging checks: cpack needs dpkg-shlibdeps; the .deb and the unit are checked
  dpkg-dev lintian systemd
  # the sink suites' real servers
  rsyslog clickhouse-server
  # the metrics suite: a real Prometheus scrapes procflow; promtool lints the exposition
  prometheus
  # the qemu guests (tests/vm): the kernel matrix, the .deb under systemd
  qemu-system-x86 busybox-static cpio zstd debootstrap kmod
  # the container image test (podman with runc) and the manifest checks (python3-yaml)
  podman runc python3-yaml
  # the message suites' real peers: a private sshd (never the system service, see below),
  # an FTP server (pyftpdlib) and an SMTP server with AUTH LOGIN/PLAIN (aiosmtpd)
  openssh-server python3-pyftpdlib python3-aiosmtpd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $EUID -ne 0 ]]; then
    echo "setup: installing packages needs root: run this script with sudo" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# openssh-server is installed only for the private sshd the message tests start on
# a port and config of their own; no system sshd may listen on this machine or in CI.
if [[ $EUID -eq 0 && -e /lib/systemd/system/ssh.service ]]; then
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  else
    invoke-rc.d ssh stop >/dev/null 2>&1 || true
    update-rc.d ssh disable >/dev/null 2>&1 || true
  fi
fi

# Debian's kubectl and the Kubernetes API's OpenAPI definitions for the manifest
# checks, unpacked into build/debian-tools (not installed: see the script).
bash tests/kubernetes/fetch-debian-tools.sh build/debian-tools

build_type=${PROCFLOW_BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build build -j"$(nproc)"
