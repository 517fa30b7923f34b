// TCP sequence numbers as the replay reads them: serial-number comparison (RFC 1982 arithmetic
// on 32 bits, so a stream that wraps past 2^32 still compares right) and where a segment's data
// starts.
#pragma once

#include <cstdint>

#include "replay/packet_parser.h"

namespace procflow {

// True when serial number `a` is after `b`.
inline bool seq_after(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) > 0;
}

// True when serial number `a` is at or after `b`.
inline bool seq_at_or_after(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) >= 0;
}

// The sequence number of the segment's first data byte: a SYN takes one before its data (TCP
// Fast Open).
inline uint32_t data_seq_of(const ParsedPacket& p) {
  return p.tcp_seq + ((p.tcp_flags & tcp_flag::syn) ? 1u : 0u);
}

}  // namespace procflow
