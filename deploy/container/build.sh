#!/usr/bin/env bash
# Builds procflow's node image from a finished build, without pulling anything:
# stages the procflow binary (debug sections stripped), every shared library
# `ldd` names (with the copyright file of the Debian package each comes from),
# a passwd and group for root, and the image's default config into a build
# context, then runs `podman build` on deploy/container/Containerfile.
#
#   deploy/container/build.sh [BUILD_DIR [TAG]]
#     BUILD_DIR  where procflow was built (default: build)
#     TAG        the image name (default: localhost/procflow:VERSION, the
#                project version from CMakeLists.txt, the name the manifests use)
#
# podman's own settings come from its environment (CONTAINERS_CONF,
# CONTAINERS_STORAGE_CONF), so a test can build into a private store.
# Prints the image name and its size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=$(cd "${1:-$repo/build}" && pwd)
version=$(sed -n 's/^project(procflow VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
tag=${2:-localhost/procflow:${version:?cannot read the project version}}
binary=$build_dir/procflow
[[ -x $binary ]] || { echo "build.sh: $binary missing: build procflow first" >&2; exit 1; }

context=$(mktemp -d /tmp/procflow-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/procflow" "$rootfs/tmp" \
         "$rootfs/run/procflow" "$rootfs/usr/share/doc/procflow"
chmod 1777 "$rootfs/tmp"

# The binary without debug sections (the symbol table stays, for readable
# backtraces); the BPF object is inside it.
objcopy --strip-debug "$binary" "$rootfs/usr/bin/procflow"
cp "$repo/LICENSE" "$rootfs/usr/share/doc/procflow/copyright"

# Every library the dynamic loader would load, at the same path as on the
# build host, and the loader itself. The image runs on any kernel the binary
# supports; the libraries are the build host's (Debian 12).
mapfile -t libs < <(ldd "$binary" | awk '/=> \// {print $3} /^\t\// {print $1}')
for lib in "${libs[@]}"; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# The copyright file of each Debian package those libraries come from: the
# image redistributes them. dpkg knows a file by the path its package gave,
# /lib/... or /usr/lib/... (merged /usr), so both are asked, in one slow call.
mapfile -t packages < <(for lib in "${libs[@]}"; do
    real=$(readlink -f "$lib") && echo "$real" && echo "${real#/usr}"
  done | xargs dpkg -S 2>/dev/null | cut -d: -f1 | sort -u)
for package in "${packages[@]}"; do
  if [[ -f /usr/share/doc/$package/copyright ]]; then
    mkdir -p "$rootfs/usr/share/doc/$package"
    cp "/usr/share/doc/$package/copyright" "$rootfs/usr/share/doc/$package/"
  fi
done

# procflow's own user name look-up (uid 0 in its own mount namespace) reads
# these; names of other containers' users come from their own passwd files.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
# Name look-ups (a syslog output's host) as on Debian: /etc/hosts first. Without
# this file glibc asks DNS first. files and dns are built into Debian 12's libc.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
cp "$here/procflow.yaml" "$rootfs/etc/procflow/procflow.yaml"

podman build --quiet --tag "$tag" --file "$here/Containerfile" "$context" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "built $tag: $((size / 1024)) KiB"
