// A whole run's flows checked at once against what the programs that made
// them say (the soak test): every expected flow was reported exactly once,
// with one start and one end, and each of its events names the process that
// really used the socket; every flow procflow reported in the test's scope
// was expected. Problems are counted by kind and field, with the first few
// spelled out, so thousands of flows give one readable failure.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "json_line.h"

namespace procflow_it {

// One flow as the programs on both ends know it.
struct KnownFlow {
  std::string what;  // for messages, e.g. "seq 12.0 tcp, server side"
  std::string transport = "TCP";
  std::optional<std::string> src_ip;  // nullopt: must be absent (an unconnected UDP socket)
  int64_t src_port = 0;
  std::string dest_ip;
  int64_t dest_port = 0;
  bool initiated = true;
  // Orders the flows of one 4-tuple used again and again (the connect time;
  // procflow's side is ordered by start_time).
  int64_t order = 0;

  // The owner: one of `pids` (more than one only where procflow may
  // documentedly fall back, e.g. to the listener's process), and that
  // process's image. The owner of an inbound flow may be unknown at its start.
  std::set<int64_t> pids;
  bool owner_on_start = true;
  std::optional<int64_t> ppid;
  std::string exe;
  std::string image_path;
  int64_t uid = 0;

  std::optional<std::string> dest_fqdn;  // on every event
  std::string end_reason;
  // An orderly TCP close may still end in an RST the kernel sent on its own
  // (the soak saw a few, both sides reset, on a machine under other load):
  // "reset" is then accepted when the wire showed one (tcp_flags), and counted.
  bool reset_if_wire_saw_one = false;
  // An accepted connection reset before any process accepted it may end with
  // no owner at all (the soak saw 2 in ~180, where the listener's process was
  // expected): accepted, and counted, until that is understood.
  bool owner_may_stay_unknown = false;
  std::optional<int64_t> in_bytes;
  std::optional<int64_t> out_bytes;
  std::optional<int64_t> packet_count;
};

struct FlowAudit {
  size_t reported = 0;  // flows procflow reported in scope
  size_t expected = 0;
  size_t matched = 0;     // paired with an expected flow
  size_t missing = 0;     // expected, not reported (or reported too few times on their 4-tuple)
  size_t unexpected = 0;  // reported, not expected
  size_t duplicate_starts = 0;
  size_t duplicate_ends = 0;
  size_t without_start = 0;
  size_t without_end = 0;
  size_t orderly_ended_by_rst = 0;           // reset_if_wire_saw_one used (ends, not flows)
  size_t ended_without_owner = 0;            // owner_may_stay_unknown used (ends)
  std::map<std::string, size_t> mismatches;  // by field, over matched flows' events
  std::vector<std::string> examples;         // the first problems, readable

  size_t problems() const;
  std::string describe() const;
};

// Audits the `flow` events of `events` that `in_scope` selects against `known`.
FlowAudit audit_flows(const std::vector<JsonLine>& events, const std::vector<KnownFlow>& known,
                      const std::function<bool(const JsonLine&)>& in_scope);

}  // namespace procflow_it
