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

CACHE=${PROCFLOW_VM_CACHE:-/var/cache/procflow-vm}
BUILD=${PROCFLOW_BUILD_DIR:-$REPO/build}
OUT=${PROCFLOW_VM_OUT:-$BUILD/vm}
JOBS=${PROCFLOW_VM_JOBS:-2}
FALLBACKS_ON=${PROCFLOW_VM_FALLBACKS_ON:-6.12.*}
EXTRA_SUITES=${PROCFLOW_VM_EXTRA_SUITES:-bullseye trixie-backports}
APT_MAX_AGE=${PROCFLOW_VM_APT_MAX_AGE:-86400}
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
MODULES=(sch_ingress cls_bpf veth)
# shellcheck disable=SC2054 # the commas belong to qemu's option values
QEMU_ARGS=(-accel tcg,thread=single -cpu max -smp 2 -m 2G -nographic -no-reboot -nic none)
CMDLINE="console=ttyS0 panic=-1 loglevel=4 mitigations=off"

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
before the package lists are refreshed, default 86400).
EOF
}

log() { printf '%s\n' "$*" >&2; }
die() {
  log "run-matrix: $*"
  exit 2
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

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

# ---- host tools ---------------------------------------------------------------

ensure_tools() {
  local pkg missing=()
  for pkg in qemu-system-x86 busybox-static cpio xz-utils zstd binutils; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
    die "cannot install ${missing[*]}"
}

# ---- private apt configurations -------------------------------------------------
# Two, both under $CACHE/apt, each with its own sources, lists, cache and an
# empty dpkg status, so the host's apt state is never read or written:
#   default: a copy of the machine's own sources;
#   extra:   the extra suites, at the mirror the machine's sources name.

HOST_SOURCES=/etc/apt/sources.list.d/debian.sources

# The first deb URI of the machine's sources that is not a security suite.
mirror_uri() {
  local uri=""
  if [ -f "$HOST_SOURCES" ]; then
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[ \t]*#/) continue
          if (line ~ /^Types:/) { sub(/^Types:[ \t]*/, "", line); types = " " line " " }
          if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
          if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = line }
          if (line ~ /^Enabled:/) { sub(/^Enabled:[ \t]*/, "", line); enabled = line }
        }
        if (types !~ / deb / || enabled == "no" || uris == "") next
        n = split(suites, s, /[ \t]+/)
        for (j = 1; j <= n; j++) if (s[j] != "" && s[j] !~ /-security$/) {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$HOST_SOURCES")
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {
      if ($(i + 1) !~ /-security$/) { print $i; exit } else break } }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in $HOST_SOURCES"
  printf '%s\n' "$uri"
}

# The keyring the machine's sources are signed with.
host_keyring() {
  local k=""
  [ -f "$HOST_SOURCES" ] && k=$(awk '/^Signed-By:[ \t]*\//{ print $2; exit }' "$HOST_SOURCES")
  printf '%s\n' "${k:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}

apt_dir() { printf '%s/apt/%s\n' "$CACHE" "$1"; }

# apt_run CONF TOOL ARGS...: apt-get/apt-cache with that private configuration.
apt_run() {
  local d tool=$2
  d=$(apt_dir "$1")
  shift 2
  "$tool" -q -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/sources.list.d" \
    -o Dir::State="$d/state" -o Dir::State::Lists="$d/lists" \
    -o Dir::State::status="$d/state/status" -o Dir::Cache="$d/cache" \
    -o Dir::Etc::Preferences="$d/preferences" -o Dir::Etc::PreferencesParts="$d/preferences.d" \
    -o Acquire::Languages=none -o APT::Architectures=amd64 -o APT::Sandbox::User=root "$@"
}

# setup_apt CONF FILE TEXT: writes sources.list.d/FILE of the configuration
# (a .sources or .list file) if it changed.
setup_apt() {
  local d
  d=$(apt_dir "$1")
  mkdir -p "$d/sources.list.d" "$d/lists/partial" "$d/cache/archives/partial" "$d/state" \
    "$d/preferences.d"
  touch "$d/state/status" "$d/sources.list"
  if [ "$(cat "$d/sources.list.d/$2" 2>/dev/null)" != "$3" ]; then
    rm -f "$d/sources.list.d"/* "$d/updated"
    printf '%s\n' "$3" >"$d/sources.list.d/$2"
  fi
}

# refresh_apt CONF: apt-get update when the lists are missing or old.
refresh_apt() {
  local d age
  d=$(apt_dir "$1")
  if [ -f "$d/updated" ]; then
    age=$(($(date +%s) - $(stat -c %Y "$d/updated")))
    [ "$age" -lt "$APT_MAX_AGE" ] && return 0
  fi
  log "apt-get update ($1 sources)"
  if apt_run "$1" apt-get update >"$d/update.log" 2>&1; then
    touch "$d/updated"
  elif compgen -G "$d/lists/*Packages*" >/dev/null; then
    log "warning: apt-get update failed ($d/update.log); using the old package lists"
  else
    cat "$d/update.log" >&2
    die "apt-get update failed for the $1 sources"
  fi
}

# Suites named by the default configuration.
default_suites() {
  cat "$(apt_dir default)"/sources.list.d/* | awk '
    /^Suites:/ { for (i = 2; i <= NF; i++) print $i }
    $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $(i + 1); break } }'
}
is_default_suite() { [[ " $(default_suites | tr '\n' ' ') " == *" $1 "* ]]; }

setup_all_apt() {
  local mirror keyring suites suites_line spec suite
  if [ -f "$HOST_SOURCES" ]; then
    setup_apt default procflow.sources "$(cat "$HOST_SOURCES")"
  else
    setup_apt default procflow.list "$(grep -h '^deb ' /etc/apt/sources.list)"
  fi
  mirror=$(mirror_uri)
  keyring=$(host_keyring)
  suites=" $EXTRA_SUITES "
  for spec in "${SPECS[@]}"; do
    [[ "$spec" == */* ]] || continue
    suite=${spec#*/}
    is_default_suite "$suite" && continue
    [[ "$suites" == *" $suite "* ]] || suites+="$suite "
  done
  # shellcheck disable=SC2086,SC2116 # word splitting squeezes the blanks
  suites_line=$(echo $suites)
  setup_apt extra procflow.sources "Types: deb
URIs: $mirror
Suites: ${suites_line}
Components: main
Signed-By: $keyring"
  refresh_apt default
  refresh_apt extra
}

# ---- resolving and fetching kernel packages -------------------------------------

# record CONF SELECTOR: the first apt-cache record of NAME, NAME=VER or NAME/SUITE.
record() {
  apt_run "$1" apt-cache show "$2" 2>/dev/null | awk 'BEGIN { RS = "" } NR == 1 { print; exit }'
}
field() { printf '%s\n' "$1" | awk -v f="$2" 'index($0, f ": ") == 1 { print substr($0, length(f) + 3); exit }'; }
candidate() {
  apt_run "$1" apt-cache policy "$2" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2; exit }'
}

# resolve_into CONF SELECTOR SUITE: appends "CONF PACKAGE VERSION FILE" lines for
# the package and, recursively, the kernel packages it depends on
# (linux-image-*, linux-binary-*, linux-modules-*: 7.x splits them).
RESOLVED=()
resolve_into() {
  local conf=$1 sel=$2 suite=$3 rec pkg ver file dep name want line
  rec=$(record "$conf" "$sel")
  [ -n "$rec" ] || return 1
  pkg=$(field "$rec" Package)
  ver=$(field "$rec" Version)
  file=$(field "$rec" Filename)
  for line in "${RESOLVED[@]}"; do
    [[ "$line" == "$conf $pkg "* ]] && return 0
  done
  RESOLVED+=("$conf $pkg $ver ${file##*/}")
  while IFS= read -r dep; do
    dep=$(echo "$dep" | sed 's/^ *//; s/ *$//')
    name=${dep%% *}
    [[ "$name" =~ ^linux-(image|binary|modules)- ]] || continue
    if [[ "$dep" =~ \(=\ *([^\)]+)\) ]]; then
      want="$name=${BASH_REMATCH[1]// /}"
    elif [ -n "$suite" ]; then
      want="$name/$suite"
    else
      want="$name=$(candidate "$conf" "$name")"
    fi
    resolve_into "$conf" "$want" "$suite" || die "cannot resolve $want (needed by $pkg)"
  done < <(field "$rec" Depends | tr ',|' '\n')
}

# resolve SPEC: fills RESOLVED for one kernel (the first line is the kernel's own).
resolve() {
  local spec=$1 name suite conf cand
  RESOLVED=()
  name=${spec%%/*}
  suite=""
  [[ "$spec" == */* ]] && suite=${spec#*/}
  if [ -n "$suite" ]; then
    conf=extra
    is_default_suite "$suite" && conf=default
    resolve_into "$conf" "$name/$suite" "$suite" && return 0
  else
    for conf in default extra; do
      cand=$(candidate "$conf" "$name")
      [ -n "$cand" ] && resolve_into "$conf" "$name=$cand" "" && return 0
    done
  fi
  return 1
}

# fetch: downloads every RESOLVED package not in $CACHE/debs yet (apt-get download: never installed).
fetch() {
  local line conf pkg ver file
  mkdir -p "$CACHE/debs"
  for line in "${RESOLVED[@]}"; do
    read -r conf pkg ver file <<<"$line"
    [ -s "$CACHE/debs/$file" ] && continue
    log "downloading $pkg $ver"
    (cd "$CACHE/debs" && apt_run "$conf" apt-get download "$pkg=$ver" >&2) ||
      die "apt-get download $pkg=$ver failed"
    [ -s "$CACHE/debs/$file" ] || die "apt-get download did not leave $file"
  done
}

# add_module MODDIR OUT NAME: decompresses module NAME into OUT/modules and, first,
# the modules it depends on (the .modinfo "depends=" string); appends to load.list.
add_module() {
  local moddir=$1 out=$2 name=$3 f dep alt
  grep -qxF "$name" "$out/modules/load.list" 2>/dev/null && return 0
  alt=${name//_/-}
  if grep -qE "/($name|$alt)\.ko" "$moddir/modules.builtin" 2>/dev/null; then
    log "  $name: built into the kernel"
    return 0
  fi
  f=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "$alt.ko*" \) | head -n 1)
  if [ -z "$f" ]; then
    log "  warning: module $name not found"
    return 0
  fi
  case "$f" in
  *.ko.xz) xz -dc "$f" >"$out/modules/$name.ko" ;;
  *.ko.zst) zstd -dcq "$f" >"$out/modules/$name.ko" ;;
  *.ko.gz) gzip -dc "$f" >"$out/modules/$name.ko" ;;
  *) cp "$f" "$out/modules/$name.ko" ;;
  esac
  for dep in $(tr '\0' '\n' <"$out/modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
    add_module "$moddir" "$out" "$dep"
  done
  echo "$name" >>"$out/modules/load.list"
}

# unpack: extracts the RESOLVED packages (dpkg -x) into $CACHE/kernels/<package>_<version>:
# vmlinuz, release, packages and modules.cpio (the modules and their load order).
# Prints that folder.
unpack() {
  local conf pkg ver file key kdir tmp vmlinuz moddir d line m
  read -r conf pkg ver file <<<"${RESOLVED[0]}"
  key="${pkg}_${ver}"
  kdir="$CACHE/kernels/$key"
  if [ ! -f "$kdir/.complete" ]; then
    log "unpacking $key"
    mkdir -p "$CACHE/kernels"
    rm -rf "$kdir"
    tmp=$(mktemp -d "$CACHE/kernels/.unpack.XXXXXX")
    for line in "${RESOLVED[@]}"; do
      read -r conf pkg ver file <<<"$line"
      dpkg -x "$CACHE/debs/$file" "$tmp/root"
    done
    vmlinuz=$(find "$tmp/root" -type f \( -name vmlinuz -o -name 'vmlinuz-*' \) | head -n 1)
    moddir=""
    for d in "$tmp/root"/lib/modules/* "$tmp/root"/usr/lib/modules/*; do
      [ -d "$d/kernel" ] && moddir=$d
    done
    [ -n "$vmlinuz" ] || die "no vmlinuz in ${RESOLVED[*]}"
    [ -n "$moddir" ] || die "no modules folder in ${RESOLVED[*]}"
    mkdir -p "$tmp/out/modules"
    : >"$tmp/out/modules/load.list"
    for m in "${MODULES[@]}"; do add_module "$moddir" "$tmp/out" "$m"; done
    cp "$vmlinuz" "$tmp/out/vmlinuz"
    basename "$moddir" >"$tmp/out/release"
    printf '%s\n' "${RESOLVED[@]}" >"$tmp/out/packages"
    (cd "$tmp/out" && find modules | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
      >"$tmp/out/modules.cpio"
    mv "$tmp/out" "$kdir"
    rm -rf "$tmp"
    touch "$kdir/.complete"
  fi
  printf '%s\n' "$kdir"
}

# ---- binaries and the common initramfs ---------------------------------------------

HELPERS=(tcp_client prefork_server quick_connect)

build_binaries() {
  local targets=(procflow pf_it_tcp_client pf_it_prefork_server pf_it_quick_connect)
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
  local i=$1 kdir=${KDIRS[$1]} release scen dir t0 attempt rc timeout qpid
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
    timeout -k 5 "$timeout" qemu-system-x86_64 "${QEMU_ARGS[@]}" -kernel "$kdir/vmlinuz" \
      -initrd "$dir/initrd.cpio" -append "$CMDLINE procflow.scenarios=$scen" \
      </dev/null >"$dir/console.raw" 2>&1 &
    qpid=$!
    trap 'kill -TERM $qpid 2>/dev/null; exit 1' INT TERM
    wait "$qpid" || rc=$?
    trap - INT TERM
    tr -d '\r' <"$dir/console.raw" >"$dir/console.log"
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
ensure_tools
build_binaries
T_PREP=$(now)
# One preparation at a time per cache (apt lists, downloads, unpacking).
exec 9>"$CACHE/.lock"
flock 9
setup_all_apt
KDIRS=()
for spec in "${SPECS[@]}"; do
  resolve "$spec" || die "no package $spec in the default or extra (${EXTRA_SUITES}) sources"
  fetch
  KDIRS+=("$(unpack)")
  log "$spec -> $(cat "${KDIRS[-1]}/release") ($(awk '{ print $2 "=" $3 }' "${KDIRS[-1]}/packages" | tr '\n' ' '))"
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
