#!/usr/bin/env bash
# Seeds the packet-parser fuzzer: every frame of the vendored captures
# (tests/fixtures/pcap/dns and messages, pcap and pcapng) as one corpus file in the input format
# of fuzz/packet_parser_fuzz.cpp: [link index][len:2 BE][clock step][extra][frame]; and each
# capture's first frames as one file with messages on (the link byte's top bit), so the
# conversations start from real exchanges.
#   fuzz/make_frame_corpus.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: make_frame_corpus.sh OUT_DIR}
mkdir -p "$out"
captures=$(ls tests/fixtures/pcap/dns/*.pcap* tests/fixtures/pcap/messages/*.pcap 2>/dev/null || true)
[ -n "$captures" ] || { echo "make_frame_corpus.sh: no captures in tests/fixtures/pcap/dns" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $captures; do
  # pcapng -> classic pcap, which a few lines of Python can split.
  tshark -r "$f" -F pcap -w "$tmp/$(basename "$f").pcap" 2>/dev/null || continue
done
python3 - "$tmp" "$out" <<'PY'
import os, struct, sys, hashlib
src, out = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    data = open(os.path.join(src, name), "rb").read()
    if len(data) < 24:
        continue
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    # The fuzzer's link index: Ethernet, Linux cooked, Linux cooked v2, raw IP.
    link = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3}.get(linktype)
    if link is None:
        continue
    off = 24
    records = []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        record = struct.pack(">H", len(frame)) + b"\x01\x00" + frame
        records.append(record)
        blob = bytes([link]) + record
        open(os.path.join(out, hashlib.sha1(blob).hexdigest()), "wb").write(blob)
    # One second per frame would end every turn; the whole exchange at one instant keeps them.
    whole = bytes([link | 0x80]) + b"".join(r[:2] + b"\x00" + r[3:] for r in records[:64])
    open(os.path.join(out, hashlib.sha1(whole).hexdigest()), "wb").write(whole)
PY
echo "make_frame_corpus.sh: $(ls "$out" | wc -l) frames in $out"
