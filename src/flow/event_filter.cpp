#include "flow/event_filter.h"

#include <sstream>

namespace procflow {
namespace {

bool port_in(const std::set<uint16_t>& ports, uint16_t a, uint16_t b) {
  return ports.count(a) || ports.count(b);
}

bool host_in(const NetworkClassifier& hosts, const IpAddress& a, const IpAddress& b) {
  return hosts.is_internal(a) || hosts.is_internal(b);
}

// Include side, the criteria known at a flow's start: every given one holds.
bool all_hold(const FlowCriteria& c, const IpAddress& src, const IpAddress& dest, uint16_t src_port,
              uint16_t dest_port, std::optional<uint32_t> pid, std::string_view exe) {
  if (!c.pids.empty() && !(pid && c.pids.count(*pid))) return false;
  if (!c.exes.empty() && !c.exes.count(std::string(exe))) return false;
  if (!c.ports.empty() && !port_in(c.ports, src_port, dest_port)) return false;
  if (c.hosts && !host_in(*c.hosts, src, dest)) return false;
  return true;
}

// Exclude side, the same criteria: some given value matches.
bool any_holds(const FlowCriteria& c, const IpAddress& src, const IpAddress& dest,
               uint16_t src_port, uint16_t dest_port, std::optional<uint32_t> pid,
               std::string_view exe) {
  if (pid && c.pids.count(*pid)) return true;
  if (!exe.empty() && c.exes.count(std::string(exe))) return true;
  if (port_in(c.ports, src_port, dest_port)) return true;
  if (c.hosts && host_in(*c.hosts, src, dest)) return true;
  return false;
}

}  // namespace

bool FlowCriteria::empty() const {
  return pids.empty() && exes.empty() && uids.empty() && users.empty() && ports.empty() && !hosts &&
         actions.empty() && directions.empty();
}

bool FlowCriteria::same_as(const FlowCriteria& o) const {
  return pids == o.pids && exes == o.exes && uids == o.uids && users == o.users &&
         ports == o.ports && hosts.has_value() == o.hosts.has_value() &&
         host_cidrs == o.host_cidrs && actions == o.actions && directions == o.directions;
}

bool EventFilter::same_as(const EventFilter& o) const {
  return FlowCriteria::same_as(o) && exclude.same_as(o.exclude);
}

bool EventFilter::matches(const FlowEvent& e) const {
  if (!all_hold(*this, e.src_ip, e.dest_ip, e.src_port, e.dest_port, e.pid, e.exe)) return false;
  if (!actions.empty() && !actions.count(e.action)) return false;
  if (!uids.empty() && !(e.uid && uids.count(*e.uid))) return false;
  if (!users.empty() && !users.count(e.user)) return false;
  if (!directions.empty() && !directions.count(e.network_direction)) return false;
  if (exclude.empty()) return true;
  if (any_holds(exclude, e.src_ip, e.dest_ip, e.src_port, e.dest_port, e.pid, e.exe)) return false;
  if (exclude.actions.count(e.action)) return false;
  if (e.uid && exclude.uids.count(*e.uid)) return false;
  if (!e.user.empty() && exclude.users.count(e.user)) return false;
  if (exclude.directions.count(e.network_direction)) return false;
  return true;
}

bool EventFilter::matches_flow(const IpAddress& src, const IpAddress& dest, uint16_t src_port,
                               uint16_t dest_port, uint32_t pid, std::string_view exe) const {
  const std::optional<uint32_t> owner = pid ? std::optional(pid) : std::nullopt;
  return all_hold(*this, src, dest, src_port, dest_port, owner, exe) &&
         !any_holds(exclude, src, dest, src_port, dest_port, owner, exe);
}

bool EventFilter::filters_flows() const {
  return !pids.empty() || !exes.empty() || !ports.empty() || hosts || !exclude.pids.empty() ||
         !exclude.exes.empty() || !exclude.ports.empty() || exclude.hosts;
}

std::optional<FlowAction> parse_flow_action(std::string_view name) {
  if (name == "start") return FlowAction::start;
  if (name == "message") return FlowAction::message;
  if (name == "end") return FlowAction::end;
  return std::nullopt;
}

std::optional<NetworkDirection> parse_network_direction(std::string_view name) {
  for (auto d : {NetworkDirection::in, NetworkDirection::out, NetworkDirection::internal,
                 NetworkDirection::external})
    if (name == to_string(d)) return d;
  return std::nullopt;
}

bool EventFilter::parse_actions(const std::string& list, std::string* error) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (auto action = parse_flow_action(item)) {
      actions.insert(*action);
    } else {
      *error = "unknown action '" + item + "' (expected start, message or end)";
      return false;
    }
  }
  return true;
}

}  // namespace procflow
