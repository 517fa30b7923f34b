// A PF_REC_DNS record as the domain type the DNS code works with: who sent
// the message to whom, on which interface and when, and its bytes.
#pragma once

#include <cstdint>
#include <span>

#include "enrich/dns_query_tracker.h"
#include "procflow_abi.h"

namespace procflow {

DnsWireMessage dns_wire_of(const pf_dns& record);
// The captured bytes (at most PF_DNS_MAX, whatever payload_len claims).
std::span<const uint8_t> dns_payload_of(const pf_dns& record);

}  // namespace procflow
