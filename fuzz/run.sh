#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs each
# for SECONDS (default 60) on a corpus seeded from the shared DNS captures:
# dns_message_fuzz (DNS wire parser + name cache) and packet_parser_fuzz
# (the replay's frame parser + flow table) and pcapng_reader_fuzz (procflow's
# pcapng reader on whole files, seeded with the vendored pcapng captures) and
# cgroup_path_fuzz (the cgroup path parser behind container_id and pod_uid,
# seeded with kubelet-shaped paths), and the message decoders of src/proto
# (http_head_fuzz, tls_hello_fuzz, mail_ssh_fuzz, credential_redactor_fuzz,
# flow_message_inspector_fuzz), seeded by fuzz/make_proto_corpus.sh.
# Exits non-zero when the fuzzer finds a crash, leak or sanitizer error; the
# input is saved under BUILD/artifacts/.
#   fuzz/run.sh [SECONDS] [TARGET...]   (default: every target)
#   env: PROCFLOW_FUZZ_BUILD (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
only=("$@")
build=${PROCFLOW_FUZZ_BUILD:-build-fuzz}

command -v clang++ >/dev/null || { echo "run.sh: clang++ is needed" >&2; exit 1; }
runtime=$(clang++ -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
if [ ! -e "$runtime" ]; then
  echo "run.sh: the libFuzzer runtime is missing (Debian: apt-get install libclang-rt-14-dev)" >&2
  exit 1
fi

cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DPROCFLOW_BUILD_FUZZERS=ON >/dev/null
all_targets=(dns_message_fuzz packet_parser_fuzz pcapng_reader_fuzz cgroup_path_fuzz http_head_fuzz
  tls_hello_fuzz mail_ssh_fuzz credential_redactor_fuzz flow_message_inspector_fuzz)
[ ${#only[@]} -gt 0 ] || only=("${all_targets[@]}")
cmake --build "$build" -j"$(nproc)" --target "${only[@]}"

# The working corpora grow with what the fuzzers find; seeds are re-added
# each run (cheap, idempotent) in case the captures changed.
bash fuzz/make_corpus.sh "$build/corpus" >/dev/null
bash fuzz/make_frame_corpus.sh "$build/frame-corpus" >/dev/null
bash fuzz/make_proto_corpus.sh "$build/proto-corpus" >/dev/null
mkdir -p "$build/artifacts" "$build/pcapng-corpus" "$build/cgroup-corpus"
# Seeds for the cgroup parser: the shapes the runtimes and the kubelet make.
id=2f0d4d3c8b1e4a6f9c7d5e3b1a0f8e6d4c2b0a9f8e7d6c5b4a3928170615f4e3
uid=8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b
n=0
for seed in \
  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid//-/_}.slice/cri-containerd-$id.scope" \
  "/kubepods/besteffort/pod$uid/$id" "/kubepods/burstable/pod$uid/crio-$id" "/docker/$id" \
  "/machine.slice/libpod-$id.scope/container" "12:pids:/docker/$id
0::/" "kube-system_coredns-5d78c9869d-x7x2k_$uid" "web_shop_app-$id.log"; do
  printf '%s' "$seed" >"$build/cgroup-corpus/seed-$n"
  n=$((n + 1))
done
for f in tests/fixtures/pcap/dns/*; do
  head -c 4 "$f" | cmp -s - <(printf '\x0a\x0d\x0d\x0a') && cp "$f" "$build/pcapng-corpus/"
done

run() {  # target corpus: libFuzzer's progress goes to a log, its verdict here
  local target=$1 corpus=$2 log="$build/$1.log"
  [[ " ${only[*]} " == *" $target "* ]] || return 0
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$build/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
       "$corpus" >"$log" 2>&1; then
    echo "$target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds}s, no findings"
  else
    tail -60 "$log"
    echo "$target: FAILED (input saved under $build/artifacts/)" >&2
    return 1
  fi
}
run dns_message_fuzz "$build/corpus"
run packet_parser_fuzz "$build/frame-corpus"
run pcapng_reader_fuzz "$build/pcapng-corpus"
run cgroup_path_fuzz "$build/cgroup-corpus"
run http_head_fuzz "$build/proto-corpus/http"
run tls_hello_fuzz "$build/proto-corpus/tls"
run mail_ssh_fuzz "$build/proto-corpus/mail"
run credential_redactor_fuzz "$build/proto-corpus/redactor"
run flow_message_inspector_fuzz "$build/proto-corpus/inspector"
