// Pieces of the CAR JSON writer that the other schemas' writers (OCSF, ECS) share with it, so
// every output format escapes and repairs strings and prints addresses the same way.
#pragma once

#include <netinet/in.h>  // INET6_ADDRSTRLEN
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "procflow/flow_event.h"

namespace procflow {

using JsonTextWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes `v` as a JSON string; bytes that are not well-formed UTF-8 become U+FFFD (see
// append_json_line). Allocates nothing once the thread's scratch buffer is warm.
void write_json_string(JsonTextWriter& w, std::string_view v);

// Writes the address's text into buf (at least INET6_ADDRSTRLEN bytes); returns its length, 0 when
// the address is unset.
size_t format_ip_text(const IpAddress& ip, char* buf);

// Writes a number as a JSON string: schemas type some numeric ids as strings (OCSF user.uid,
// ECS user.id and network.iana_number).
inline void write_decimal_string(JsonTextWriter& w, uint64_t value) {
  char buf[20];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  w.String(buf, static_cast<rapidjson::SizeType>(end - buf));
}

// tcp_flags_to_string(flags), computed once per value: the hot path never allocates.
const std::string& tcp_flags_text(uint8_t flags);

// True for transports whose header carries ports (TCP, UDP, DCCP, SCTP, UDP-Lite).
bool transport_has_ports(uint8_t ip_proto);

}  // namespace procflow
