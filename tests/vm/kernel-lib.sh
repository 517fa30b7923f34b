# shellcheck shell=bash
# Sourced by run-matrix.sh and run-service-vm.sh: the host side shared by every
# qemu guest of the test suite. It fetches stock Debian kernels through a
# private apt configuration (the host's apt state is neither read nor written),
# unpacks them with the modules the tests need, and boots a guest under qemu
# with a timeout. See tests/vm/README.md.
#
# The sourcing script sets PROG (its name, for messages) and may set, before
# sourcing, the environment variables below.

CACHE=${PROCFLOW_VM_CACHE:-/var/cache/procflow-vm}
EXTRA_SUITES=${PROCFLOW_VM_EXTRA_SUITES:-bullseye trixie-backports}
APT_MAX_AGE=${PROCFLOW_VM_APT_MAX_AGE:-86400}
# A lock file held only while qemu runs (for machines shared by several
# test runs); the preparation (downloads, debootstrap) never holds it.
BOOT_LOCK=${PROCFLOW_VM_BOOT_LOCK:-}
# Modules every guest may need: TC (sch_ingress for clsact, cls_bpf) and veth.
MODULES=(sch_ingress cls_bpf veth)
# shellcheck disable=SC2054 # the commas belong to qemu's option values
QEMU_ARGS=(-accel tcg,thread=single -cpu max -smp 2 -m 2G -nographic -no-reboot -nic none)
# shellcheck disable=SC2034 # the kernel command line the sourcing scripts extend
CMDLINE="console=ttyS0 panic=-1 loglevel=4 mitigations=off"

log() { printf '%s\n' "$*" >&2; }
die() {
  log "${PROG:-vm}: $*"
  exit 2
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- host tools ---------------------------------------------------------------

# ensure_tools [PACKAGE...]: the tools every guest needs, and those named.
ensure_tools() {
  local pkg missing=()
  for pkg in qemu-system-x86 cpio xz-utils zstd binutils "$@"; do
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
# Contents files (which apt-file, if installed, asks for) are never needed:
# tens of MB, and one more file a mirror in mid-sync can fail on.
apt_run() {
  local d tool=$2
  d=$(apt_dir "$1")
  shift 2
  "$tool" -q -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts="$d/sources.list.d" \
    -o Dir::State="$d/state" -o Dir::State::Lists="$d/lists" \
    -o Dir::State::status="$d/state/status" -o Dir::Cache="$d/cache" \
    -o Dir::Etc::Preferences="$d/preferences" -o Dir::Etc::PreferencesParts="$d/preferences.d" \
    -o Acquire::Languages=none -o APT::Architectures=amd64 -o APT::Sandbox::User=root \
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::Contents-deb-legacy::DefaultEnabled=false "$@"
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

# setup_all_apt [KERNEL_SPEC...]: both configurations, the extra one also
# with the suites the specs name.
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
  for spec in "$@"; do
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

# prepare_kernel SPEC: resolves, downloads and unpacks one kernel; prints its
# folder (see unpack). Call setup_all_apt first.
prepare_kernel() {
  local kdir
  resolve "$1" || die "no package $1 in the default or extra (${EXTRA_SUITES}) sources"
  fetch
  kdir=$(unpack)
  log "$1 -> $(cat "$kdir/release") ($(awk '{ print $2 "=" $3 }' "$kdir/packages" | tr '\n' ' '))"
  printf '%s\n' "$kdir"
}

# ---- booting ---------------------------------------------------------------------

# qemu_boot TIMEOUT VMLINUZ INITRD APPEND CONSOLE_LOG [QEMU_ARG...]: one boot
# under `timeout`, the console (carriage returns removed) in CONSOLE_LOG.
# Returns qemu's status (124: the timeout). qemu exits 0 whatever the guest
# did: judge by the markers the guest prints.
qemu_boot() {
  local timeout=$1 vmlinuz=$2 initrd=$3 append=$4 console=$5 qpid rc=0 lockfd=""
  shift 5
  if [ -n "$BOOT_LOCK" ]; then
    exec {lockfd}>"$BOOT_LOCK"
    flock "$lockfd"
  fi
  timeout -k 5 "$timeout" qemu-system-x86_64 "${QEMU_ARGS[@]}" "$@" \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$append" </dev/null >"$console.raw" 2>&1 &
  qpid=$!
  trap 'kill -TERM $qpid 2>/dev/null; exit 1' INT TERM
  wait "$qpid" || rc=$?
  trap - INT TERM
  [ -z "$lockfd" ] || exec {lockfd}>&-
  tr -d '\r' <"$console.raw" >"$console"
  rm -f "$console.raw"
  return "$rc"
}
