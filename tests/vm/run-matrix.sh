#!/usr/bin/env bash
# Kernel matrix: boots stock Debian kernels under qemu (software emulation) and
# runs procflow's in-VM suite (vm_check) in each, so the attach paths that the
# build machine's kernel lacks (fentry, kprobe) are exercised for real.
#
#   tests/vm/run-matrix.sh [OPTIONS] [KERNEL_PACKAGE...]
#
# KERNEL_PACKAGE is a Debian package name, optionally with a suite:
#   linux-image-6.12.117+deb12-cloud-amd64      a concrete kernel
#   linux-image-6.12-cloud-amd64                 a meta-package: its newest kernel
#   linux-image-cloud-amd64/trixie-backports     a package from another suite
# Without a suite, a name is looked up in the machine's default sources, then in
# the extra suites. No argument: the default matrix (see DEFAULT_MATRIX).
#
# One line per kernel on stdout: "<kernel>: PASS|FAIL plan=connect=..,accept=..,..",
# and a non-zero exit status if any kernel failed. See tests/vm/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck disable=SC2034 # kernel-lib.sh names the script by it
PROG=run-matrix
# Kernel downloads and qemu boots (CACHE, EXTRA_SUITES, MODULES, qemu_boot, ...).
# shellcheck source-path=SCRIPTDIR source=kernel-lib.sh
. "$HERE/kernel-lib.sh"

BUILD=${PROCFLOW_BUILD_DIR:-$REPO/build}
OUT=${PROCFLOW_VM_OUT:-$BUILD/vm}
JOBS=${PROCFLOW_VM_JOBS:-2}
FALLBACKS_ON=${PROCFLOW_VM_FALLBACKS_ON:-6.12.*}
BOOT_TIMEOUT=${PROCFLOW_VM_TIMEOUT:-}
BUILD_FIRST=1

# 6.1 and 6.12 from the default sources; 5.10 and 7.x from the extra suites.
DEFAULT_MATRIX=(
  linux-image-cloud-amd64/bullseye
  linux-image-cloud-amd64
  linux-image-6.12-cloud-amd64
  linux-image-cloud-amd64/trixie-backports
)
# Scenarios of vm_check run on the fallback kernel, after "preferred": each
# forces other rows of the attach plan (see vm_check.cpp, kScenarios).
FALLBACK_SCENARIOS=(kprobe tracepoint sock_length listener)

usage() {
  cat <<EOF
usage: $0 [OPTIONS] [KERNEL_PACKAGE...]

Boots each kernel under qemu and runs the in-VM suite; exits non-zero if any fails.
Default matrix: ${DEFAULT_MATRIX[*]}

options:
  --no-build            use the binaries already in the build folder
  --fallbacks-on GLOB   kernel releases that also run the forced-fallback
                        scenarios (default: $FALLBACKS_ON; "all", "none")
  -j N                  boot N kernels at once (default: $JOBS)
  -h, --help            this text

environment: PROCFLOW_VM_CACHE (downloads, default /var/cache/procflow-vm),
PROCFLOW_BUILD_DIR (default build/), PROCFLOW_VM_OUT (logs, default build/vm),
PROCFLOW_VM_EXTRA_SUITES (default "bullseye trixie-backports"),
PROCFLOW_VM_TIMEOUT (seconds per boot), PROCFLOW_VM_APT_MAX_AGE (seconds
before the package lists are refreshed, default 86400), PROCFLOW_VM_BOOT_LOCK
(a lock file held while qemu runs).
EOF
}

SPECS=()
while [ $# -gt 0 ]; do
  case "$1" in
  --no-build) BUILD_FIRST=0 ;;
  --fallbacks-on)
    FALLBACKS_ON=${2:?--fallbacks-on needs a value}
    shift
    ;;
  -j)
    JOBS=${2:?-j needs a value}
    shift
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  -*)
    usage >&2
    exit 2
    ;;
  *) SPECS+=("$1") ;;
  esac
  shift
done
[ ${#SPECS[@]} -gt 0 ] || SPECS=("${DEFAULT_MATRIX[@]}")
[ "$(id -u)" = 0 ] || die "needs root (apt-get, mknod for the initramfs)"
[ "$(uname -m)" = x86_64 ] || die "x86_64 only"

T_START=$(now)

# ---- binaries and the common initramfs ---------------------------------------------

HELPERS=(tcp_client prefork_server quick_connect tls_pair)

build_binaries() {
  local targets=(procflow pf_it_tcp_client pf_it_prefork_server pf_it_quick_connect pf_it_tls_pair)
  if [ "$BUILD_FIRST" = 1 ]; then
    [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$REPO" -B "$BUILD" >&2
    if cmake --build "$BUILD" --target help 2>/dev/null | grep -q 'procflow_vm_check'; then
      targets+=(procflow_vm_check)
    fi
    log "building ${targets[*]}"
    cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$OUT/build.log" 2>&1 ||
      { tail -n 30 "$OUT/build.log" >&2; die "build failed ($OUT/build.log)"; }
  fi
  PROCFLOW_BIN=$BUILD/procflow
  HELPER_DIR=$BUILD/tests/integration/helpers
  # vm_check: the CMake target's binary when the build has it, else built here.
  VM_CHECK=$BUILD/tests/vm/vm_check
  if [ ! -x "$VM_CHECK" ] || [ "$HERE/vm_check.cpp" -nt "$VM_CHECK" ]; then
    VM_CHECK=$OUT/vm_check
    if [ ! -x "$VM_CHECK" ] || [ "$HERE/vm_check.cpp" -nt "$VM_CHECK" ]; then
      log "compiling vm_check"
      ${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -o "$VM_CHECK" "$HERE/vm_check.cpp" -pthread ||
        die "cannot compile vm_check"
    fi
  fi
  local b
  for b in "$PROCFLOW_BIN" "$VM_CHECK" "${HELPERS[@]/#/$HELPER_DIR/}"; do
    [ -x "$b" ] || die "missing $b (build it, or drop --no-build)"
  done
}

# The shared part of every guest's initramfs: busybox, init, the binaries
# under test and every library ldd names (and the dynamic loader).
build_common_cpio() {
  local root=$OUT/rootfs bin lib a
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc,root,modules,opt/procflow/bin,opt/procflow/helpers}
  mknod "$root/dev/console" c 5 1
  mknod "$root/dev/null" c 1 3
  cp /bin/busybox "$root/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
  done
  install -m 755 "$HERE/init.sh" "$root/init"
  # Without debug information: a smaller initramfs unpacks faster in the guest.
  strip --strip-debug -o "$root/opt/procflow/bin/procflow" "$PROCFLOW_BIN"
  strip --strip-debug -o "$root/opt/procflow/bin/vm_check" "$VM_CHECK"
  for a in "${HELPERS[@]}"; do
    strip --strip-debug -o "$root/opt/procflow/helpers/$a" "$HELPER_DIR/$a"
  done
  for bin in "$PROCFLOW_BIN" "$VM_CHECK" "${HELPERS[@]/#/$HELPER_DIR/}"; do
    ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
  done | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 procflow-vm\n' >"$root/etc/hosts"
  echo procflow-vm >"$root/etc/hostname"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT/common.cpio"
}

# ---- booting ---------------------------------------------------------------------

# The vm_check scenarios a kernel runs, comma-separated.
scenarios_of() {
  local scen=preferred
  # shellcheck disable=SC2053 # the right side is a glob on purpose
  if [ "$FALLBACKS_ON" = all ] || { [ "$FALLBACKS_ON" != none ] && [[ "$1" == $FALLBACKS_ON ]]; }; then
    scen+=$(printf ',%s' "${FALLBACK_SCENARIOS[@]}")
  fi
  printf '%s\n' "$scen"
}

# boot_kernel IDX: boots kernel IDX (one retry when no marker came), writes $dir/result.
boot_kernel() {
  local i=$1 kdir=${KDIRS[$1]} release scen dir t0 attempt rc timeout
  release=$(cat "$kdir/release")
  dir="$OUT/$release"
  mkdir -p "$dir"
  scen=$(scenarios_of "$release")
  local n_scen
  n_scen=$(echo "$scen" | tr ',' '\n' | wc -l)
  # Normal: 5-15 s per scenario. The margin covers a loaded host; a hang in the
  # suite still ends, by vm_check's own timeouts or this one.
  timeout=${BOOT_TIMEOUT:-$((120 + 120 * n_scen))}
  cat "$OUT/common.cpio" "$kdir/modules.cpio" >"$dir/initrd.cpio"
  t0=$(now)
  for attempt in 1 2; do
    rc=0
    qemu_boot "$timeout" "$kdir/vmlinuz" "$dir/initrd.cpio" "$CMDLINE procflow.scenarios=$scen" \
      "$dir/console.log" || rc=$?
    grep -q '@@DONE rc=' "$dir/console.log" && break
    if [ "$rc" = 124 ]; then
      log "$release: no @@DONE marker within ${timeout} s (attempt $attempt)"
    else
      log "$release: no @@DONE marker, qemu exit $rc (attempt $attempt): $(grep -m1 -E 'Kernel panic|BUG:' "$dir/console.log" || true)"
    fi
    cp "$dir/console.log" "$dir/console.attempt$attempt.log"
  done
  {
    echo "release=$release"
    echo "scenarios=$scen"
    echo "attempts=$attempt"
    echo "seconds=$(elapsed "$t0")"
  } >"$dir/result"
}

# The summary line of one kernel, from its console log.
summarize() {
  local kdir=$1 release dir log scen done_rc plan verdict=PASS s line fallbacks="" timing
  release=$(cat "$kdir/release")
  dir="$OUT/$release"
  log=$dir/console.log
  scen=$(sed -n 's/^scenarios=//p' "$dir/result")
  done_rc=$(grep -o '@@DONE rc=[0-9]*' "$log" | head -n 1 | sed 's/.*=//' || true)
  [ "$done_rc" = 0 ] || verdict=FAIL
  plan=$(grep -o '@@PLAN preferred .*' "$log" | head -n 1 | awk '{ print $3 }' || true)
  if [ -n "$plan" ]; then
    # connect and accept first, then the rest of procflow's summary.
    plan=$(echo "$plan" | tr ',' '\n' | awk -F= '
      $1 == "connect" { c = $0; next } $1 == "accept" { a = $0; next } { r = r "," $0 }
      END { print c "," a r }')
  else
    plan="unknown"
  fi
  for s in $(echo "$scen" | tr ',' ' '); do
    line=$(grep -o "@@SCENARIO $s [A-Z]*" "$log" | head -n 1 | awk '{ print $3 }' || true)
    [ "$line" = PASS ] || verdict=FAIL
    [ "$s" = preferred ] || fallbacks+=" $s:${line:-MISSING}"
  done
  local init_up suite_start done_up attempts seconds
  init_up=$(grep -o '@@INIT uptime=[0-9.]*' "$log" | head -n 1 | sed 's/.*=//' || true)
  suite_start=$(grep -o '@@SUITE start uptime=[0-9.]*' "$log" | head -n 1 | sed 's/.*=//' || true)
  done_up=$(grep -o '@@DONE rc=[0-9]* uptime=[0-9.]*' "$log" | head -n 1 | sed 's/.*=//' || true)
  attempts=$(sed -n 's/^attempts=//p' "$dir/result")
  seconds=$(sed -n 's/^seconds=//p' "$dir/result")
  timing="time ${seconds}s"
  [ -n "$init_up" ] && timing+=", boot ${init_up}s"
  [ -n "$suite_start" ] && [ -n "$done_up" ] &&
    timing+=", suite $(awk -v a="$suite_start" -v b="$done_up" 'BEGIN { printf "%.1f", b - a }')s"
  [ "$attempts" = 1 ] || timing+=", attempt $attempts"
  [ -n "$done_rc" ] || timing+=", no @@DONE marker"
  printf '%s: %s plan=%s' "$release" "$verdict" "$plan"
  [ -n "$fallbacks" ] && printf ' fallbacks=%s' "$(echo "${fallbacks# }" | tr ' ' ',')"
  printf ' (%s)\n' "$timing"
  if [ "$verdict" = FAIL ]; then
    {
      echo "---- $release: failures (full log: $log) ----"
      grep -E '^(FAIL|    |@@WARN|NOTE)|Kernel panic|---- kernel' "$log" | head -n 80 || true
      [ -n "$done_rc" ] || tail -n 30 "$log"
    } >&2
  fi
  [ "$verdict" = PASS ]
}

# ---- main --------------------------------------------------------------------------

mkdir -p "$OUT" "$CACHE"
ensure_tools busybox-static
build_binaries
T_PREP=$(now)
# One preparation at a time per cache (apt lists, downloads, unpacking).
exec 9>"$CACHE/.lock"
flock 9
setup_all_apt "${SPECS[@]}"
KDIRS=()
for spec in "${SPECS[@]}"; do
  KDIRS+=("$(prepare_kernel "$spec")")
done
flock -u 9
build_common_cpio
log "prepared in $(elapsed "$T_PREP") s; booting ${#KDIRS[@]} kernel(s), $JOBS at a time"

trap 'kill -TERM $(jobs -p) 2>/dev/null; exit 130' INT TERM
# Longest first (the fallback kernel), so it overlaps the others.
ORDER=()
for i in "${!KDIRS[@]}"; do
  [[ "$(scenarios_of "$(cat "${KDIRS[$i]}/release")")" == *,* ]] && ORDER+=("$i")
done
for i in "${!KDIRS[@]}"; do
  [[ "$(scenarios_of "$(cat "${KDIRS[$i]}/release")")" == *,* ]] || ORDER+=("$i")
done
running=0
for i in "${ORDER[@]}"; do
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  boot_kernel "$i" &
  running=$((running + 1))
done
wait

failed=0
for kdir in "${KDIRS[@]}"; do
  summarize "$kdir" || failed=$((failed + 1))
done
log "matrix: ${#KDIRS[@]} kernel(s), $failed failed, $(elapsed "$T_START") s in all; logs in $OUT"
[ "$failed" = 0 ]
