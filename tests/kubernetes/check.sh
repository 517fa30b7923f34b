#!/usr/bin/env bash
# The Kubernetes manifests, offline: Debian 12's kubectl renders both
# kustomizations (deploy/kubernetes and deploy/kubernetes/least-privilege),
# every object (the files and the rendered output) is validated against the
# Kubernetes API's OpenAPI definitions, the validator is shown to reject broken
# manifests, the two variants differ exactly in their privileges, and
# procflow accepts the ConfigMap's config.
# Takes about 5 s.
#
#   tests/kubernetes/check.sh [BUILD_DIR]   (default: build)
# The tools come from tests/kubernetes/fetch-debian-tools.sh (scripts/setup.sh
# runs it); a missing tool is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=${1:-$repo/build}
tools=$build_dir/debian-tools
kubectl=$tools/usr/bin/kubectl
export PROCFLOW_K8S_OPENAPI=$tools/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json
if [[ ! -x $kubectl || ! -f $PROCFLOW_K8S_OPENAPI ]]; then
  echo "k8s check: $tools lacks kubectl or the OpenAPI definitions: run scripts/setup.sh" >&2
  exit 1
fi
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
work=$(mktemp -d /tmp/procflow-k8s-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
validate() { python3 "$here/validate_manifests.py" --schema "$PROCFLOW_K8S_OPENAPI" "$@"; }

echo "k8s check: $("$kubectl" version --client --short)"
manifests=$repo/deploy/kubernetes
validate "$manifests"/base/{namespace,serviceaccount,daemonset}.yaml
"$kubectl" kustomize "$manifests" >"$work/privileged.yaml"
"$kubectl" kustomize "$manifests/least-privilege" >"$work/least-privilege.yaml"
validate "$work/privileged.yaml" "$work/least-privilege.yaml"

# What the two renderings must hold, beyond the schema.
python3 "$here/check_rendered.py" "$manifests/base/procflow.yaml" \
  "$work/privileged.yaml" "$work/least-privilege.yaml"

# The ConfigMap's config (check_rendered.py showed it is this file) is one
# this procflow accepts.
"$build_dir/procflow" run --config "$manifests/base/procflow.yaml" --check-config

PROCFLOW_K8S_RENDERED=$work/privileged.yaml python3 -m unittest discover -s "$here" -p 'validator_test.py'
echo "k8s check: passed"
