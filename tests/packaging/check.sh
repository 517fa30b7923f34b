#!/usr/bin/env bash
# The Debian package and the systemd unit, checked the way a distribution
# would: builds the .deb with CPack from BUILD_DIR, then
#   - lintian reports no error;
#   - it holds the binary, the unit, the default config (a conffile) and the docs;
#   - the packaged binary runs and accepts the packaged config (--check-config);
#   - systemd-analyze verify accepts the packaged unit (ExecStart pointed at the
#     extracted binary: it must exist), and its security exposure is printed.
# Usage: tests/packaging/check.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
fail() { echo "packaging: FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack could not build the package"
deb=$(ls -t "$build"/procflow_*_amd64.deb | head -1)
echo "packaging: built $deb ($(du -h "$deb" | cut -f1))"

lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
echo "$lintian_out" | sed 's/^/  lintian: /'
if grep -q '^E:' <<<"$lintian_out"; then fail "lintian reports errors"; fi

root=$(mktemp -d /tmp/procflow-deb-XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
for f in usr/bin/procflow usr/lib/systemd/system/procflow.service etc/procflow/procflow.yaml \
         usr/share/doc/procflow/copyright usr/share/doc/procflow/deployment.md; do
  [[ -e "$root/$f" ]] || fail "the package lacks /$f"
done
dpkg-deb -I "$deb" conffiles | grep -qx '/etc/procflow/procflow.yaml' ||
  fail "/etc/procflow/procflow.yaml is not a conffile (an upgrade would overwrite local changes)"

"$root/usr/bin/procflow" --version >/dev/null || fail "the packaged binary does not run"
"$root/usr/bin/procflow" run --config "$root/etc/procflow/procflow.yaml" --check-config ||
  fail "the packaged binary refuses the packaged config"

unit="$root/procflow.service"
sed "s|/usr/bin/procflow|$root/usr/bin/procflow|g" \
  "$root/usr/lib/systemd/system/procflow.service" >"$unit"
systemd-analyze verify "$unit" || fail "systemd-analyze verify rejects the unit"
echo "packaging: $(systemd-analyze security --offline=true "$unit" 2>&1 | tail -1)"
echo "packaging: OK"
