#!/usr/bin/env bash
# Builds the container test's peer image (Containerfile.peers) from the
# integration-test helpers of a finished build: tcp_client, prefork_server and
# udp_peer under /usr/local/bin, their ldd libraries, and a passwd/group that
# name uid 4242 "pfpeer", a user the host does not have. Pulls nothing.
#
#   tests/container/build-peer-image.sh BUILD_DIR TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_dir=${1:?usage: build-peer-image.sh BUILD_DIR TAG}
tag=${2:?usage: build-peer-image.sh BUILD_DIR TAG}
helpers=$build_dir/tests/integration/helpers
context=$(mktemp -d /tmp/procflow-peers.XXXXXX)
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
for program in tcp_client prefork_server udp_peer; do
  [[ -x $helpers/$program ]] || { echo "build-peer-image: $helpers/$program missing: build the integration helpers" >&2; exit 1; }
  cp "$helpers/$program" "$rootfs/usr/local/bin/"
  ldd "$helpers/$program" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
done
printf 'root:x:0:0:root:/root:/bin/false\npfpeer:x:4242:4242:procflow test peer:/tmp:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\npfpeer:x:4242:\n' >"$rootfs/etc/group"
podman build --quiet --tag "$tag" --file "$here/Containerfile.peers" "$context" >/dev/null
