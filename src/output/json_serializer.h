// The JSON-lines serializer: turns a FlowEvent into one flat JSON object per line, the output
// contract users, tests and dashboards depend on (architecture.md, "Contract: JSON lines").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "procflow/flow_event.h"

namespace procflow {

// Appends one JSON object followed by '\n' to `out`. Keys are the CAR field names plus the extras
// of the contract, "object", "action" and "timestamp" first. Unknown values (nullopt, empty
// strings, unset addresses, zero tcp_flags, unknown direction, no end reason) are omitted.
// src_port/dest_port are written with their address, and only for transports that have ports
// (TCP, UDP, SCTP, DCCP, UDP-Lite): an ICMP "port" would be a guess.
//
// Strings are escaped as RapidJSON's Writer escapes them (quotes, backslash, control characters
// including NUL become JSON escapes; output/json_string.h). Bytes that are not well-formed UTF-8
// (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
// sequences) are each replaced by U+FFFD, so the output is always valid UTF-8 JSON whatever the
// kernel or the wire handed us; the lossless original is not recoverable from the JSON, by design.
//
// Uses a thread-local buffer: no heap allocation per event once warmed up, apart from `out`
// growing.
void append_json_line(const FlowEvent& e, std::string& out);

// Length of an RFC 3339 UTC timestamp with microseconds: "1970-01-01T00:00:00.000000Z".
inline constexpr size_t rfc3339_us_length = 27;

// Writes exactly rfc3339_us_length characters (no terminating NUL) into `buf`. Instants past
// 9999-12-31T23:59:59.999999Z, which RFC 3339 cannot express, are clamped to that instant.
void write_rfc3339_us(uint64_t unix_us, char* buf);

// The same as a string, e.g. 0 -> "1970-01-01T00:00:00.000000Z".
std::string format_rfc3339_us(uint64_t unix_us);

}  // namespace procflow
