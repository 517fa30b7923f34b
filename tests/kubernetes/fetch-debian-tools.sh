#!/usr/bin/env bash
# Unpacks the two Debian packages the manifest checks use into a directory of
# their own, without installing them:
#   kubernetes-client            Debian 12's kubectl (1.20): `kubectl kustomize`
#   golang-k8s-kube-openapi-dev  whose test data holds the Kubernetes API's own
#                                OpenAPI (swagger 2.0) definitions
# Unpacked, not installed: the -dev package would pull in the Go toolchain and
# some 70 other packages for one JSON file, and a machine may already have
# another package's /usr/bin/kubectl, which kubernetes-client would collide with.
#
#   tests/kubernetes/fetch-debian-tools.sh [DIR]   (default: build/debian-tools)
# Idempotent: does nothing when DIR already has both. Needs apt (root).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "${1:-$repo/build/debian-tools}"
dir=$(cd "${1:-$repo/build/debian-tools}" && pwd)
packages=(kubernetes-client golang-k8s-kube-openapi-dev)
kubectl=$dir/usr/bin/kubectl
schema=$dir/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json

[[ -x $kubectl && -f $schema ]] && exit 0
rm -rf "$dir/debs" && mkdir -p "$dir/debs"
cd "$dir/debs"
# apt's download sandbox user must be able to write here.
chown _apt "$dir/debs" 2>/dev/null || true
if ! apt-get download -qq "${packages[@]}" 2>/dev/null; then
  apt-get update -qq   # the lists may name versions the mirror no longer has
  apt-get download -qq "${packages[@]}"
fi
for deb in ./*.deb; do
  dpkg-deb -x "$deb" "$dir"
done
rm -rf "$dir/debs"
[[ -x $kubectl && -f $schema ]] || { echo "fetch-debian-tools: unpacking failed" >&2; exit 1; }
echo "fetch-debian-tools: $("$kubectl" version --client --short 2>/dev/null || true) and the OpenAPI definitions in $dir"
