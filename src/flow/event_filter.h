// The event filters of `trace` (--pid, --exe, --port, --host, --actions) and
// of the service config (include and exclude by exe, uid, user, CIDR, port,
// action, direction). An event passes when it matches every include
// criterion that was given (within one criterion, any listed value) and no
// exclude criterion (any listed value of any criterion excludes).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "enrich/network_direction.h"
#include "procflow/flow_event.h"

namespace procflow {

// One side of a filter: the values each criterion lists; an empty criterion
// was not given.
struct FlowCriteria {
  std::set<uint32_t> pids;
  std::set<std::string> exes;
  std::set<uint32_t> uids;
  std::set<std::string> users;
  std::set<uint16_t> ports;                // src_port or dest_port
  std::optional<NetworkClassifier> hosts;  // src_ip or dest_ip
  // The CIDRs `hosts` was built from, as written: what tells two filters'
  // hosts apart at a reload (the classifier itself cannot be compared).
  std::vector<std::string> host_cidrs;
  std::set<FlowAction> actions;
  std::set<NetworkDirection> directions;

  bool empty() const;
  // The same criteria (hosts compared by host_cidrs): a reload keeps an
  // output whose filter is the same.
  bool same_as(const FlowCriteria& other) const;
};

class EventFilter : public FlowCriteria {
 public:
  // Flows and events that are never wanted, whatever the include side says.
  FlowCriteria exclude;

  bool same_as(const EventFilter& other) const;

  bool matches(const FlowEvent& e) const;
  // The flow-level criteria that are known before any event of a flow is
  // built (pid, exe, port, host): the tables ask this first, so a flow nobody
  // wants costs no name look-up, no hash and no serializing. True when these
  // cannot rule the flow out (uid, user, direction and actions are decided
  // per event by matches()). pid 0: no known owner.
  bool matches_flow(const IpAddress& src, const IpAddress& dest, uint16_t src_port,
                    uint16_t dest_port, uint32_t pid, std::string_view exe) const;
  bool filters_flows() const;
  // "start,end" -> actions; false + error on an unknown name.
  bool parse_actions(const std::string& list, std::string* error);
};

// "start", "message", "end".
std::optional<FlowAction> parse_flow_action(std::string_view name);
// "in", "out", "internal", "external" (as network_direction says them).
std::optional<NetworkDirection> parse_network_direction(std::string_view name);

}  // namespace procflow
