// A DNS message reduced to what naming flows needs: the question and the
// answer section's A, AAAA and CNAME records. The wire format is decoded by
// ldns (ldns_wire2pkt); this layer only walks ldns's parsed structures,
// applies procflow's own limits and normalises names.
//
// Inputs come straight off the network (any host on the path can send a
// "response"), so everything is bounded: message size, record counts, the
// number of records kept and the length of every name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow {

// RR types and RCODEs this code refers to by name (RFC 1035, RFC 3596).
namespace dns_type {
inline constexpr uint16_t a = 1;
inline constexpr uint16_t cname = 5;
inline constexpr uint16_t aaaa = 28;
}  // namespace dns_type

namespace dns_rcode {
inline constexpr uint16_t noerror = 0;
inline constexpr uint16_t nxdomain = 3;
}  // namespace dns_rcode

struct DnsRecord {
  std::string name;  // owner name, lowercased, no trailing dot
  uint16_t type = 0;
  uint32_t ttl = 0;
  IpAddress address;   // A/AAAA
  std::string target;  // CNAME, same form as `name`
};

struct DnsMessage {
  uint16_t id = 0;
  bool is_response = false;
  uint8_t opcode = 0;    // 0 = QUERY; only those answers name addresses
  uint16_t rcode = 0;    // including the EDNS extended bits
  std::string question;  // first question's name; "" for the root (or none, if allowed)
  uint16_t qtype = 0;
  // The answer section's A, AAAA and CNAME records of class IN, in wire
  // order, at most DnsParseLimits::max_answers of them. Other types say
  // nothing about which name an address has, so they are not kept.
  std::vector<DnsRecord> answers;
};

struct DnsParseLimits {
  // UDP payloads are at most 65507 bytes and a TCP-framed message at most
  // 65535, so a bigger input is not DNS.
  size_t max_message_bytes = 65535;
  // Enough for any real address answer (resolvers return a handful of
  // addresses plus a CNAME chain); the rest of a bigger answer is ignored.
  size_t max_answers = 64;
  // Longest name kept, in presentation form (a 255-byte wire name is at most
  // 253 characters unless it needs \DDD escapes). A longer question rejects
  // the message; a longer record name drops that record. Bounds what the
  // cache can be made to store per entry.
  size_t max_name_length = 255;
  // mDNS responses carry no question; unicast DNS ones always do.
  bool require_question = true;
};

// Parses one DNS message (the UDP payload). On failure returns std::nullopt
// and, if `error` is non-null, a short reason. Rejects: empty, truncated or
// oversized input, compression-pointer loops and other wire errors (found by
// ldns), section counts the message cannot hold, no question (unless
// allowed), a question name over the limit. Names are lowercased
// presentation form without the trailing dot, escaped as ldns (and dig,
// tshark) print them: . ; ( ) \ behind a backslash, spaces, control and
// non-ASCII bytes as \DDD.
std::optional<DnsMessage> parse_dns_message(std::span<const uint8_t> wire, std::string* error,
                                            const DnsParseLimits& limits = {});

// DNS over TCP: `stream` starts with a message's 2-byte big-endian length
// prefix (RFC 1035 4.2.2). Parses that one message; `consumed` (if non-null)
// is set to 2 + length so a caller can move on to the next message in the
// same stream. Rejects a zero length and a prefix longer than the bytes
// present (the caller should wait for more data).
std::optional<DnsMessage> parse_dns_over_tcp(std::span<const uint8_t> stream, std::string* error,
                                             size_t* consumed = nullptr,
                                             const DnsParseLimits& limits = {});

}  // namespace procflow
