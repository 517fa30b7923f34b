// Community ID v1 flow hash, so procflow's flows can be joined with the same
// flows seen by network sensors (Zeek, Suricata, Elastic) that compute it too.
#pragma once

#include <cstdint>
#include <string>

#include "procflow/flow_event.h"

namespace procflow {

// Returns "1:<base64 SHA-1>" for the flow, identical for both directions of
// a two-way flow. For ICMP (1) and ICMPv6 (58) pass the message type as
// src_port and the code as dst_port. Ports are ignored for protocols other
// than TCP, UDP, SCTP, ICMP and ICMPv6. IPv4-mapped IPv6 addresses hash as
// IPv4. Returns "" when an address is unset or the families differ.
std::string community_id(const IpAddress& src, const IpAddress& dst, uint16_t src_port,
                         uint16_t dst_port, uint8_t ip_proto, uint16_t seed = 0);

}  // namespace procflow
