#!/usr/bin/env bash
# Quick start: set everything up, build, and start live tracing.
# Arguments go to `procflow trace` (e.g. --format json --port 443).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec ./build/procflow trace "$@"
