#!/usr/bin/env bash
# Quick start: set everything up, build, and run the whole test suite:
#   1. unit tests and integration tests (real BPF programs, network
#      namespaces, real servers) under CTest;
#   1b. the .deb (lintian, contents, packaged config) and the systemd unit
#       (systemd-analyze verify);
#   1c. that .deb installed with dpkg -i and driven with systemctl in a qemu
#       guest running systemd (debootstrap root file system, cached);
#   1d. the Kubernetes manifests (rendered, validated against the API's
#       OpenAPI definitions) and the container image, run with podman the way
#       the DaemonSet runs it;
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   2b. the unit and integration suites again under ThreadSanitizer (procflow's
#       output writer thread, the namespace walk's threads): the integration
#       tests then run the TSan-built procflow, which exits non-zero on a race;
#   3. the parsers of untrusted input under libFuzzer (ASan/UBSan), briefly;
#   4. the kernel matrix: stock kernels booted under qemu, where the fentry,
#      kprobe and older-kernel paths this machine lacks are exercised.
# Integration tests need root. Set PROCFLOW_REQUIRE_BPF=1 (CI does) to make a
# test that cannot load BPF fail instead of skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== unit and integration tests"
ctest --test-dir build --output-on-failure --timeout 600

echo "== the Debian package and the systemd unit"
bash tests/packaging/check.sh build

echo "== the .deb under real systemd (qemu guest)"
bash tests/vm/run-service-vm.sh

echo "== the Kubernetes manifests and the container image (podman, as the DaemonSet runs it)"
bash tests/kubernetes/check.sh build
bash tests/container/run.sh build

echo "== unit tests under ASan/UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPROCFLOW_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" --target procflow_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -L unit

echo "== unit and integration tests under ThreadSanitizer"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROCFLOW_TSAN=ON >/dev/null
cmake --build build-tsan -j"$(nproc)" --target procflow procflow_unit_tests procflow_integration_tests
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
ctest --test-dir build-tsan --output-on-failure -L unit
PROCFLOW_TEST_BINARY="$PWD/build-tsan/procflow" \
  ctest --test-dir build-tsan --output-on-failure --timeout 600 -L integration
unset TSAN_OPTIONS

echo "== fuzzing the parsers of untrusted input (libFuzzer, ASan/UBSan)"
bash fuzz/run.sh "${PROCFLOW_FUZZ_SECONDS:-40}"

echo "== kernel matrix (qemu)"
bash tests/vm/run-matrix.sh --no-build
