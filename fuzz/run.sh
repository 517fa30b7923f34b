#!/usr/bin/env bash
# Builds dns_message_fuzz with clang (libFuzzer + ASan + UBSan) and runs it
# for SECONDS (default 60) on a corpus seeded from the shared DNS captures.
# Exits non-zero when the fuzzer finds a crash, leak or sanitizer error; the
# input is saved under BUILD/artifacts/.
#   fuzz/run.sh [SECONDS]        env: PROCFLOW_FUZZ_BUILD (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${PROCFLOW_FUZZ_BUILD:-build-fuzz}

command -v clang++ >/dev/null || { echo "run.sh: clang++ is needed" >&2; exit 1; }
runtime=$(clang++ -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
if [ ! -e "$runtime" ]; then
  echo "run.sh: the libFuzzer runtime is missing (Debian: apt-get install libclang-rt-14-dev)" >&2
  exit 1
fi

cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DPROCFLOW_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target dns_message_fuzz

# The working corpus grows with what the fuzzer finds; seeds are re-added
# each run (cheap, idempotent) in case the captures changed.
bash fuzz/make_corpus.sh "$build/corpus"
mkdir -p "$build/artifacts"

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/dns_message_fuzz" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/" \
  "$build/corpus"
