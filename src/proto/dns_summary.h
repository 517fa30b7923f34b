// proto_info for DNS: the message as src/dns/dns_message.h parses it (ldns
// underneath, with its bounds), in the UDP form or the TCP form that starts
// with a 2-byte length prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace procflow {

// id=4660; opcode=QUERY; qname=a.test; qtype=A; rcode=NOERROR; answers=A 10.0.0.1,CNAME b.test
// (rcode and answers for responses only). std::nullopt when the bytes are no
// DNS message in either form.
std::optional<std::string> dns_summary(std::span<const uint8_t> bytes);

}  // namespace procflow
