// The trace command's filters (--pid, --exe, --port, --host, --actions): an
// event passes when it matches every filter that was given. Within one filter,
// any listed value matches.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "enrich/network_direction.h"
#include "procflow/flow_event.h"

namespace procflow {

class EventFilter {
 public:
  std::set<uint32_t> pids;
  std::set<std::string> exes;
  std::set<uint16_t> ports;                // matches src_port or dest_port
  std::optional<NetworkClassifier> hosts;  // matches src_ip or dest_ip
  std::set<FlowAction> actions;            // empty: all

  bool matches(const FlowEvent& e) const;
  // The flow-level filters (--pid, --exe, --port, --host) on what a flow is
  // before any event of it is built: the tables ask this first, so a flow
  // nobody wants costs no name look-up, no hash and no serializing. pid 0:
  // no known owner.
  bool matches_flow(const IpAddress& src, const IpAddress& dest, uint16_t src_port,
                    uint16_t dest_port, uint32_t pid, std::string_view exe) const;
  bool filters_flows() const { return !pids.empty() || !exes.empty() || !ports.empty() || hosts; }
  // "start,end" -> actions; false + error on an unknown name.
  bool parse_actions(const std::string& list, std::string* error);
};

}  // namespace procflow
