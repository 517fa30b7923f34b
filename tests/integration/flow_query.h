// Finding one flow among everything procflow printed: a selector on the
// 5-tuple, orientation (initiated) and optionally pid, and the flow's events
// grouped by action. Also the small value helpers the assertions need (IP
// equality across spellings, RFC 3339 times, the tcp_flags list).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "json_line.h"

namespace procflow_it {

// True when both are the same IPv4/IPv6 address, however spelled (an
// IPv4-mapped IPv6 address is the IPv4 address it maps).
bool same_ip(const std::string& a, const std::string& b);
// True for an IPv6 address inside `prefix` ("fd00:213:5::/64").
bool ip6_in_prefix(const std::string& ip, const std::string& prefix);
// Microseconds since the epoch for an RFC 3339 time ("...T..:..:..[.ffffff](Z|+hh:mm)").
std::optional<int64_t> parse_rfc3339_us(const std::string& text);
// "SYN, ACK, FIN" -> {"SYN", "ACK", "FIN"}.
std::set<std::string> split_flags(const std::string& text);

// Which flow: every field that is set must match. Orientation is part of the
// key: the client's and the server's flow share the 5-tuple.
// The `{}` initializers let designated initializers name only the fields that
// matter (FlowSelector{.dest_port = 53, .transport = "UDP"}) under -Wextra.
struct FlowSelector {
  std::optional<std::string> src_ip{};
  std::optional<int64_t> src_port{};
  std::optional<std::string> dest_ip{};
  std::optional<int64_t> dest_port{};
  std::optional<bool> initiated{};
  std::optional<int64_t> pid{};
  std::optional<std::string> transport{};  // transport_protocol, "TCP" or "UDP"

  bool matches(const JsonLine& event) const;
  // The selector fields `event` gets wrong, e.g. "src_ip 10.0.0.0 (want 10.213.5.2)".
  std::vector<std::string> mismatches(const JsonLine& event) const;
  std::string describe() const;
};

// One flow's events by action, in output order.
struct Flow {
  std::vector<JsonLine> starts;
  std::vector<JsonLine> messages;
  std::vector<JsonLine> ends;
  std::vector<JsonLine> others;  // unknown action values

  const JsonLine* start() const { return starts.empty() ? nullptr : &starts.front(); }
  const JsonLine* end() const { return ends.empty() ? nullptr : &ends.front(); }
  std::vector<const JsonLine*> all() const;
};

Flow collect_flow(const std::vector<JsonLine>& events, const FlowSelector& selector);
// The flows of `selector` when several connections used its 4-tuple one after
// the other: one Flow per start_time (which every event of a flow carries),
// in the order the connections started. Events without a readable
// start_time go to a Flow of their own at the front.
std::vector<Flow> collect_flows_by_start(const std::vector<JsonLine>& events,
                                         const FlowSelector& selector);
// Number of events of `action` ("start"/"message"/"end") matching `selector`.
size_t count_events(const std::vector<JsonLine>& events, const FlowSelector& selector,
                    const std::string& action);
// For a failure message: the events that share a port with `selector` but do
// not match it, each with what differs ("near misses").
std::string near_misses(const std::vector<JsonLine>& events, const FlowSelector& selector);
// All events as text, one per line, for failure messages.
std::string dump(const std::vector<JsonLine>& events);

}  // namespace procflow_it
