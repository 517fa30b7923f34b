#include "collect/payload_chunk.h"

namespace procflow {
namespace {

void fill_tuple(PayloadChunk& c, const pf_tuple& t) {
  const bool v4 = t.family == 4;
  c.src = v4 ? IpAddress::v4(t.saddr) : IpAddress::v6(t.saddr);
  c.dst = v4 ? IpAddress::v4(t.daddr) : IpAddress::v6(t.daddr);
  c.sport = t.sport;
  c.dport = t.dport;
  c.transport = t.proto;
}

bool known_family(uint8_t family) {
  return family == 4 || family == 6;
}

}  // namespace

std::optional<PayloadChunk> payload_chunk_of(const pf_payload& r) {
  if (r.payload_len == 0 || r.payload_len > PF_PAYLOAD_MAX || r.payload_len > r.wire_len ||
      !known_family(r.tuple.family))
    return std::nullopt;
  PayloadChunk c;
  c.ktime_ns = r.hdr.ktime_ns;
  fill_tuple(c, r.tuple);
  c.ifindex = r.ifindex;
  c.turn = r.turn;
  c.turn_start = (r.flags & PF_PAYLOAD_TURN_START) != 0;
  c.cut = (r.flags & PF_PAYLOAD_CUT) != 0;
  if (r.flags & PF_PAYLOAD_OFFSET_KNOWN) c.stream_offset = r.stream_offset;
  c.wire_len = r.wire_len;
  c.bytes = {r.payload, r.payload_len};
  return c;
}

std::optional<PayloadChunk> payload_chunk_of(const pf_dns& r) {
  if (r.payload_len == 0 || r.payload_len > PF_DNS_MAX || !known_family(r.tuple.family))
    return std::nullopt;
  PayloadChunk c;
  c.ktime_ns = r.hdr.ktime_ns;
  fill_tuple(c, r.tuple);
  c.transport = r.proto;
  c.ifindex = r.ifindex;
  c.turn_start = true;
  c.from_dns_capture = true;
  c.wire_len = r.payload_len;
  c.bytes = {r.payload, r.payload_len};
  return c;
}

}  // namespace procflow
