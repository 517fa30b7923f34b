// The model behind `procflow top`: the tracer's flow events folded into
// groups (by process, by remote endpoint, by application protocol), each
// with its open flows, connections, byte totals and a minute of per-second
// history. Pure: no clock of its own (times come from the events and from
// the caller), no terminal; the view reads it between batches.
//
// What a byte rate means. The kernel's counters reach userspace only in an
// `end` event: when a flow ends, and, with --report-interval, every interval
// while it is open (an `end` with end_reason interval carrying that period's
// counters). A report's bytes are spread evenly over the time it covers
// (the flow's start, or the previous report, up to the report), so a
// ten-second download draws a ten-second plateau, not a spike at its end.
// Until a flow reports, its bytes are unknown and count as nothing: an open
// flow without reports shows no rate, and when it ends its bytes fill the
// seconds behind it (those still in the minute). `top` therefore asks for a
// report every second by default, which keeps the picture at most a second
// behind.
//
// Connections: a `start` that opens a new connection counts in the second
// it was seen; a snapshot start (a connection older than the tracer) and a
// continued start (the next period of a reported flow) are open flows but
// not new connections.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "procflow/flow_event.h"
#include "top/rate_history.h"

namespace procflow {

enum class Grouping : uint8_t { process, remote, protocol };
inline constexpr size_t kGroupings = 3;
std::string_view to_string(Grouping g);

// One flow, as an expanded group lists it.
struct TopFlow {
  std::string local, remote;  // "10.0.0.1:50438", "example.com:443"
  std::string transport;      // "TCP", "UDP"
  std::string protocol;       // application protocol, "" while unknown
  std::string process;        // "1234 curl"
  bool initiated = true;      // the local socket connected (false: accepted)
  bool open = true;
  uint64_t in_bytes = 0, out_bytes = 0;  // reported so far
  uint64_t start_us = 0, end_us = 0;     // end_us 0 while open
};

struct TopGroup {
  std::string label;  // the first column: "1234 curl [web]", "example.com", "HTTP"
  uint32_t open = 0;
  uint64_t connections = 0;  // new connections seen since top started
  uint64_t in_bytes = 0, out_bytes = 0;
  RateHistory history;
  uint64_t last_us = 0;  // the last event that touched it
  // Keys of its flows that are open or ended within the last minute.
  std::unordered_set<std::string> flows;
};

struct AggregatorOptions {
  // How long an ended flow stays listed in its group.
  uint64_t linger_us = 60'000'000;
  // A group with no open flow and no event for this long is forgotten
  // (many short-lived processes must not grow the table for ever).
  uint64_t group_idle_us = 600'000'000;
};

class FlowAggregator {
 public:
  explicit FlowAggregator(AggregatorOptions options = {}) : options_(options) {}

  void add(const FlowEvent& e);
  // Forgets ended flows and idle groups older than the options allow.
  void expire(uint64_t now_us);

  const std::unordered_map<std::string, TopGroup>& groups(Grouping g) const {
    return groups_[static_cast<size_t>(g)];
  }
  // The flow behind a key of TopGroup::flows; nullptr if gone.
  const TopFlow* flow(const std::string& key) const;
  // The latest time seen in an event or given to expire(), in UNIX seconds.
  uint64_t now_s() const { return now_us_ / 1'000'000; }
  uint32_t open_flows() const { return open_flows_; }
  uint64_t events() const { return events_; }

 private:
  struct FlowState {
    TopFlow view;
    std::array<std::string, kGroupings> group_keys;
    uint64_t period_start_us = 0;  // the next report's bytes were carried since then
    bool new_connection = false;   // counted in its groups' connections
  };
  FlowState& find_or_start(const std::string& key, const FlowEvent& e, bool* created);
  TopGroup& group(Grouping g, const std::string& key, const FlowEvent& e);
  void set_protocol(const std::string& key, FlowState& f, const FlowEvent& e);
  void report(FlowState& f, const FlowEvent& e);
  void open(const std::string& key, FlowState& f, const FlowEvent& e);
  void close(FlowState& f, uint64_t now_us);

  AggregatorOptions options_;
  std::unordered_map<std::string, FlowState> flows_;
  std::array<std::unordered_map<std::string, TopGroup>, kGroupings> groups_;
  uint64_t now_us_ = 0;
  uint32_t open_flows_ = 0;
  uint64_t events_ = 0;
  std::string key_;  // reused
};

}  // namespace procflow
