// Facts about a flow's orientation that the OCSF and ECS writers need and CAR leaves implicit.
// CAR (and procflow) count bytes from the local socket's point of view: out_bytes is what it
// sent. OCSF and ECS count them from the source's: bytes_out / source.bytes is what the source
// (the initiator) sent. For an accepted connection the local socket is the destination, so the
// two are swapped.
#pragma once

#include <cstdint>
#include <optional>

#include "procflow/flow_event.h"

namespace procflow {

struct SourceOrientedBytes {
  std::optional<uint64_t> source_sent;       // initiator -> responder
  std::optional<uint64_t> destination_sent;  // responder -> initiator
};

// The local socket is the source unless it accepted the flow (`initiated` false). Replay events
// (no `initiated`) already count out_bytes as what the initiator sent.
bool local_is_source(const FlowEvent& e);

SourceOrientedBytes source_oriented_bytes(const FlowEvent& e);

// 127.0.0.0/8 and ::1.
bool is_loopback(const IpAddress& ip);

// Both endpoints are on this host: both loopback, or the same address.
bool is_host_local(const FlowEvent& e);

// The local socket's address when the event knows which side is local and that side's address
// is set (a UDP socket on the wildcard address has none); nullptr otherwise.
const IpAddress* local_address(const FlowEvent& e);

}  // namespace procflow
