#!/usr/bin/env bash
# procflow's Debian package under real systemd: boots a stock Debian kernel
# under qemu with a minimal Debian 12 root file system (debootstrap, systemd as
# PID 1), where service-check.py installs the .deb with dpkg -i and drives the
# service with systemctl: start (notify), a flow in the file output, reload
# with a changed filter, stop with a connection open (tracer_stop, no TC
# filter left).
#
#   tests/vm/run-service-vm.sh [--deb FILE] [--kernel PACKAGE[/SUITE]]
#
# One line on stdout: "service-vm: PASS ..." or "service-vm: FAIL failed=..."
# (the failing checks and the service's journal on stderr), and a non-zero
# exit status on failure. See tests/vm/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck disable=SC2034 # kernel-lib.sh names the script by it
PROG=run-service-vm
# Kernel downloads and qemu boots (CACHE, apt_run, prepare_kernel, qemu_boot, ...).
# shellcheck source-path=SCRIPTDIR source=kernel-lib.sh
. "$HERE/kernel-lib.sh"

BUILD=${PROCFLOW_BUILD_DIR:-$REPO/build}
OUT=${PROCFLOW_VM_OUT:-$BUILD/vm-service}
# A boot takes 25-50 s, about 2 minutes on a very busy host; a hung guest is
# booted once more, so this bounds the worst case at twice the value.
BOOT_TIMEOUT=${PROCFLOW_VM_TIMEOUT:-300}
KERNEL=linux-image-cloud-amd64
DEB=""
# What the check needs besides the package's own dependencies: systemd as
# init, kmod (the kernel loads the TC modules on demand through modprobe, as
# on any installed system), tc, bpftool (what is attached to lo), python3
# (the check itself, and the TCP peers it drives).
ROOTFS_PACKAGES=(systemd systemd-sysv kmod iproute2 bpftool python3)
# Bump when the preparation of the root file system (trim_rootfs) changes:
# it is part of the cache key, with the suite, the mirror and the packages.
ROOTFS_RECIPE=2

usage() {
  cat <<EOF
usage: $0 [--deb FILE] [--kernel PACKAGE[/SUITE]]

Installs procflow's .deb in a qemu guest running systemd and checks the
service there; exits non-zero if a check fails.

  --deb FILE        the package (default: the newest $BUILD/procflow_*_amd64.deb)
  --kernel SPEC     the guest's kernel, as for run-matrix.sh (default: $KERNEL)

environment: PROCFLOW_VM_CACHE (downloads and root file systems, default
/var/cache/procflow-vm), PROCFLOW_BUILD_DIR (default build/), PROCFLOW_VM_OUT
(default build/vm-service), PROCFLOW_VM_TIMEOUT (seconds, default 300),
PROCFLOW_VM_BOOT_LOCK (a lock file held while qemu runs).
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
  --deb)
    DEB=${2:?--deb needs a file}
    shift
    ;;
  --kernel)
    KERNEL=${2:?--kernel needs a package}
    shift
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || die "needs root (apt-get, debootstrap)"
[ "$(uname -m)" = x86_64 ] || die "x86_64 only"
if [ -z "$DEB" ]; then
  DEB=$(find "$BUILD" -maxdepth 1 -name 'procflow_*_amd64.deb' -printf '%T@ %p\n' 2>/dev/null |
    sort -rn | head -n 1 | cut -d' ' -f2-)
  [ -n "$DEB" ] || die "no $BUILD/procflow_*_amd64.deb: build it (tests/packaging/check.sh)"
fi
[ -f "$DEB" ] || die "no such package: $DEB"

# ---- the root file system ------------------------------------------------------

# The package's Depends as package names debootstrap can install: the first of
# each alternative, versions dropped, a virtual package replaced by the first
# package that provides it (libspdlog1.10-fmt9 is one).
deb_dependencies() {
  local dep provider
  dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
    grep -v '^$' | while read -r dep; do
    if [ -n "$(record default "$dep")" ]; then
      echo "$dep"
      continue
    fi
    provider=$(apt_run default apt-cache showpkg "$dep" 2>/dev/null |
      awk '/^Reverse Provides:/ { getline; print $1; exit }')
    [ -n "$provider" ] || die "no package provides $dep (a dependency of $(basename "$DEB"))"
    echo "$provider"
  done
}

# The release suite of the machine's sources (bookworm here), not its
# -updates or -security companions.
release_suite() {
  default_suites | grep -v -- - | head -n 1
}

# trim_rootfs ROOT: what every boot of the guest wants, done once before caching.
trim_rootfs() {
  local root=$1
  # Smaller archive, faster unpacking in the guest.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/log/*.log "$root"/debootstrap
  # Empty: systemd makes up a machine id at each boot.
  : >"$root/etc/machine-id"
  echo procflow-vm >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 procflow-vm\n' >"$root/etc/hosts"
}

# build_rootfs: the cached rootfs.cpio for ROOTFS_PACKAGES and the package's
# dependencies; prints its path. debootstrap runs only when the key changed.
build_rootfs() {
  local suite mirror keyring packages key dir tmp t0
  suite=$(release_suite)
  mirror=$(mirror_uri)
  keyring=$(host_keyring)
  packages=$({
    printf '%s\n' "${ROOTFS_PACKAGES[@]}"
    deb_dependencies
  } | LC_ALL=C sort -u | paste -sd, -)
  key=$(printf 'recipe=%s suite=%s mirror=%s packages=%s\n' "$ROOTFS_RECIPE" "$suite" "$mirror" \
    "$packages" | sha256sum | cut -c1-16)
  dir=$CACHE/rootfs/$key
  if [ ! -f "$dir/.complete" ]; then
    log "debootstrap $suite (minbase + $packages)"
    t0=$(now)
    mkdir -p "$CACHE/rootfs"
    rm -rf "$dir"
    tmp=$(mktemp -d "$CACHE/rootfs/.build.XXXXXX")
    debootstrap --variant=minbase --include="$packages" --keyring="$keyring" \
      "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
      {
        tail -n 20 "$tmp/debootstrap.log" >&2
        die "debootstrap failed ($tmp/debootstrap.log)"
      }
    trim_rootfs "$tmp/root"
    (cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) \
      >"$tmp/rootfs.cpio"
    mkdir -p "$dir"
    mv "$tmp/rootfs.cpio" "$tmp/debootstrap.log" "$dir/"
    echo "$packages" | tr ',' '\n' >"$dir/packages"
    rm -rf "$tmp"
    touch "$dir/.complete"
    log "root file system built in $(elapsed "$t0") s ($(du -h "$dir/rootfs.cpio" | cut -f1))"
    prune_rootfs
  fi
  touch "$dir/.complete" # its last use, for prune_rootfs
  printf '%s\n' "$dir/rootfs.cpio"
}

# prune_rootfs: each key's root file system is ~140 MB; drop those not used
# for a week, and what an interrupted build left behind.
prune_rootfs() {
  find "$CACHE/rootfs" -mindepth 2 -maxdepth 2 -name .complete -mtime +7 -printf '%h\0' |
    xargs -0 -r rm -rf
  find "$CACHE/rootfs" -mindepth 1 -maxdepth 1 -name '.build.*' -mtime +1 -exec rm -rf {} +
}

# ---- what is added for this run -------------------------------------------------

# build_overlay KDIR: a second archive, unpacked over the root file system by
# the kernel: the package, the check and its unit, and the kernel's TC modules
# where modprobe finds them (depmod run here). Prints its path.
build_overlay() {
  local kdir=$1 release ov mods
  release=$(cat "$kdir/release")
  ov=$OUT/overlay
  mods=$OUT/modules
  rm -rf "$ov" "$mods"
  mkdir -p "$ov"/root "$ov"/usr/local/sbin "$ov"/etc/systemd/system "$ov"/usr/lib/modules \
    "$mods/lib/modules/$release/kernel/extra"
  chmod 700 "$ov/root"
  cp "$DEB" "$ov/root/"
  install -m 755 "$HERE/service-check.py" "$ov/usr/local/sbin/service-check.py"
  install -m 644 "$HERE/service-check.service" "$ov/etc/systemd/system/service-check.service"
  # No login prompt on the console the host reads (getty-static would fail:
  # no dbus), and no timer that could start apt or a file system scan.
  for unit in getty@.service serial-getty@.service getty-static.service apt-daily.timer \
    apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
    ln -s /dev/null "$ov/etc/systemd/system/$unit"
  done
  (cd "$mods" && cpio -id --quiet modules/*.ko <"$kdir/modules.cpio")
  mv "$mods"/modules/*.ko "$mods/lib/modules/$release/kernel/extra/"
  # Only the modules the guest needs: depmod warns that the kernel's own
  # module lists (modules.order, modules.builtin) are missing.
  depmod -b "$mods" "$release" 2>/dev/null
  mv "$mods/lib/modules/$release" "$ov/usr/lib/modules/"
  rm -rf "$mods"
  (cd "$ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    >"$OUT/overlay.cpio"
  printf '%s\n' "$OUT/overlay.cpio"
}

# ---- main ------------------------------------------------------------------------

T_START=$(now)
mkdir -p "$OUT" "$CACHE"
ensure_tools debootstrap kmod
# One preparation at a time per cache (apt lists, downloads, debootstrap).
exec 9>"$CACHE/.lock"
flock 9
setup_all_apt "$KERNEL"
KDIR=$(prepare_kernel "$KERNEL")
ROOTFS=$(build_rootfs)
flock -u 9
RELEASE=$(cat "$KDIR/release")
cat "$ROOTFS" "$(build_overlay "$KDIR")" >"$OUT/initrd.cpio"
log "prepared in $(elapsed "$T_START") s; booting $RELEASE with systemd"

# systemd straight from the initramfs (no /etc/initrd-release: a normal boot);
# systemd.wants= starts the check once the system is up.
APPEND="$CMDLINE rdinit=/lib/systemd/systemd systemd.wants=service-check.service"
APPEND+=" systemd.show_status=error"
CONSOLE=$OUT/console.log
T_BOOT=$(now)
for attempt in 1 2; do
  rc=0
  qemu_boot "$BOOT_TIMEOUT" "$KDIR/vmlinuz" "$OUT/initrd.cpio" "$APPEND" "$CONSOLE" || rc=$?
  grep -q '^@@DONE rc=' "$CONSOLE" && break
  # No verdict: a timeout or an early panic under emulation; one more boot.
  if [ "$rc" = 124 ]; then
    log "no @@DONE marker within $BOOT_TIMEOUT s (attempt $attempt)"
  else
    log "no @@DONE marker, qemu exit $rc (attempt $attempt): $(grep -m1 -E 'Kernel panic|BUG:' "$CONSOLE" || true)"
  fi
  cp "$CONSOLE" "$OUT/console.attempt$attempt.log"
done
BOOT_SECONDS=$(elapsed "$T_BOOT")

done_line=$(grep -m1 '^@@DONE rc=' "$CONSOLE" || true)
failed=$(grep -oE '^@@CHECK [^ ]+ FAIL' "$CONSOLE" | awk '{ print $2 }' | paste -sd, - || true)
passed=$(grep -cE '^@@CHECK [^ ]+ PASS' "$CONSOLE" || true)
plan=$(sed -n 's/^@@PLAN .*tracing started (\([^;]*\);.*/\1/p' "$CONSOLE" | head -n 1)
# The guest's uptime when the check started and ended: systemd's boot and the check.
up_start=$(grep -m1 -o '^@@START .*uptime=[0-9.]*' "$CONSOLE" | sed 's/.*uptime=//' || true)
up_done=$(grep -m1 -o '^@@DONE .*uptime=[0-9.]*' "$CONSOLE" | sed 's/.*uptime=//' || true)
timing=""
[ -n "$up_start" ] && timing+="boot ${up_start}s, "
[ -n "$up_start" ] && [ -n "$up_done" ] &&
  timing+="check $(awk -v a="$up_start" -v b="$up_done" 'BEGIN { printf "%.1f", b - a }')s, "
timing+="qemu ${BOOT_SECONDS}s, whole $(elapsed "$T_START")s"
# What the guest noted without failing (known procflow issues), on stderr.
grep '^@@NOTE' "$CONSOLE" | sort -u >&2 || true
if [ -n "$done_line" ] && [[ "$done_line" == "@@DONE rc=0 "* ]] && [ -z "$failed" ]; then
  echo "service-vm: PASS $RELEASE checks=$passed plan=${plan:-unknown} ($timing)"
  exit 0
fi
[ -n "$done_line" ] || failed+="${failed:+,}no-verdict"
echo "service-vm: FAIL $RELEASE failed=$failed ($timing; console: $CONSOLE)"
{
  grep -E '^@@(CHECK [^ ]+ FAIL|JOURNAL|FLOWS)' "$CONSOLE" | head -n 150 || true
  [ -n "$done_line" ] || tail -n 40 "$CONSOLE"
} >&2
exit 1
