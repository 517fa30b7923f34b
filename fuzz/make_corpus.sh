#!/usr/bin/env bash
# Seed corpus for dns_message_fuzz: every DNS payload (UDP or TCP, port 53,
# queries and responses, IP fragments reassembled by tshark) in the shared
# captures, one file per payload named by its SHA-1 (so reruns add nothing).
#   fuzz/make_corpus.sh CORPUS_DIR [CAPTURE...]   (default: tests/fixtures/pcap/dns/*.pcap*)
set -euo pipefail
out=${1:?usage: make_corpus.sh CORPUS_DIR [CAPTURE...]}
shift
captures=("$@")
if [ ${#captures[@]} -eq 0 ]; then captures=("$(dirname "$0")"/../tests/fixtures/pcap/dns/*.pcap*); fi
command -v tshark >/dev/null || { echo "make_corpus.sh: tshark is needed" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
added=0
for capture in "${captures[@]}"; do
  # One hex payload per line (udp.payload or tcp.payload, whichever is present).
  while IFS=$'\t' read -r udp tcp; do
    hex=${udp:-$tcp}
    [ -n "$hex" ] || continue
    printf '%s' "$hex" | xxd -r -p >"$tmp"
    name=$(sha1sum "$tmp" | cut -d' ' -f1)
    if [ ! -e "$out/$name" ]; then
      cp "$tmp" "$out/$name"
      added=$((added + 1))
    fi
  done < <(tshark -r "$capture" -Y 'udp.port == 53 || tcp.port == 53' \
    -T fields -e udp.payload -e tcp.payload 2>/dev/null)
done
echo "make_corpus.sh: $added new seeds, $(find "$out" -type f | wc -l) in $out"
