// A PF_REC_PAYLOAD record as the message pipeline uses it: the wire tuple as
// addresses, the turn, and a view of the copied bytes. Built from the record
// after its lengths are checked, so nothing later trusts the kernel's sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "procflow/flow_event.h"
#include "procflow_abi.h"

namespace procflow {

struct PayloadChunk {
  uint64_t ktime_ns = 0;
  IpAddress src, dst;  // as on the wire: the sender first
  uint16_t sport = 0, dport = 0;
  uint8_t transport = ip_proto_tcp;
  uint32_t ifindex = 0;
  uint16_t turn = 0;        // the sender's turn in this conversation, from 0
  bool turn_start = false;  // the first bytes of that turn
  bool cut = false;         // the packet carried more than was copied
  // TCP: the sender's payload bytes before this chunk, when the SYN was seen.
  std::optional<uint32_t> stream_offset;
  uint32_t wire_len = 0;  // payload bytes the packet carried
  // A DNS message: TC copies those on every interface they cross, so the
  // same message may come twice (payload is copied on one interface only).
  bool from_dns_capture = false;
  std::span<const uint8_t> bytes;  // what was copied; valid while the record is
};

// nullopt when the record's lengths are inconsistent (nothing to trust).
std::optional<PayloadChunk> payload_chunk_of(const pf_payload& record);

// A DNS message TC copied (PF_REC_DNS) as a chunk of its conversation: every
// DNS message is a turn of its own. TCP's 2-byte length prefix stays in the
// bytes (the DNS decoder reads both forms).
std::optional<PayloadChunk> payload_chunk_of(const pf_dns& record);

}  // namespace procflow
