#include "replay/capture_turns.h"

#include <algorithm>

#include "replay/tcp_sequence.h"

namespace procflow {
namespace {

constexpr uint16_t kDnsPort = 53;

}  // namespace

std::optional<uint32_t> CaptureTurns::fresh_part(Side& side, const ParsedPacket& p) {
  if (p.tcp_flags & tcp_flag::syn) side.isn = p.tcp_seq;
  const uint32_t data_seq = data_seq_of(p);
  const uint32_t end = data_seq + p.payload_bytes;
  if (!side.next_seq) {
    side.next_seq = end;
    return 0u;
  }
  if (!seq_after(end, *side.next_seq)) return std::nullopt;  // all of it was sent before
  const uint32_t skip = seq_after(*side.next_seq, data_seq) ? *side.next_seq - data_seq : 0u;
  side.next_seq = end;
  return skip;
}

std::optional<PayloadChunk> CaptureTurns::chunk_of(const ParsedPacket& p, bool from_initiator,
                                                   uint64_t ts_ns, uint32_t turn_bytes) {
  const int d = from_initiator ? 0 : 1;
  Side& side = sides_[d];
  uint32_t skip = 0;
  if (p.ip_proto == ip_proto_tcp) {
    auto fresh = fresh_part(side, p);
    if (!fresh || p.payload_bytes == 0) return std::nullopt;
    skip = *fresh;
  } else if (p.payload_bytes == 0) {
    return std::nullopt;
  }

  const bool dns = p.src_port == kDnsPort || p.dest_port == kDnsPort;
  const bool new_turn = dns || last_speaker_ != d;
  if (new_turn) {
    if (side.spoke) side.turn++;
    side.turn_captured = 0;
  }
  side.spoke = true;
  last_speaker_ = d;
  if (side.turn_captured >= turn_bytes) return std::nullopt;  // the turn's budget is spent

  const std::span<const uint8_t> captured =
      p.payload.subspan(std::min<size_t>(skip, p.payload.size()));
  if (captured.empty()) return std::nullopt;  // the new bytes were past the snap length
  side.turn_captured += static_cast<uint32_t>(std::min<size_t>(captured.size(), turn_bytes));
  PayloadChunk c;
  c.ktime_ns = ts_ns;
  c.src = p.src_ip;
  c.dst = p.dest_ip;
  c.sport = p.src_port;
  c.dport = p.dest_port;
  c.transport = p.ip_proto;
  c.turn = side.turn;
  c.turn_start = new_turn;
  c.wire_len = p.payload_bytes - skip;
  c.cut = captured.size() < c.wire_len;
  c.bytes = captured;
  if (p.ip_proto == ip_proto_tcp && side.isn)
    c.stream_offset = data_seq_of(p) + skip - (*side.isn + 1u);
  return c;
}

}  // namespace procflow
