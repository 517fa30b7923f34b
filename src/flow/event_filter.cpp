#include "flow/event_filter.h"

#include <sstream>

namespace procflow {

bool EventFilter::matches(const FlowEvent& e) const {
  if (!actions.empty() && !actions.count(e.action)) return false;
  if (!pids.empty() && !(e.pid && pids.count(*e.pid))) return false;
  if (!exes.empty() && !exes.count(e.exe)) return false;
  if (!ports.empty() && !ports.count(e.src_port) && !ports.count(e.dest_port)) return false;
  if (hosts && !hosts->is_internal(e.src_ip) && !hosts->is_internal(e.dest_ip)) return false;
  return true;
}

bool EventFilter::matches_flow(const IpAddress& src, const IpAddress& dest, uint16_t src_port,
                               uint16_t dest_port, uint32_t pid, std::string_view exe) const {
  if (!pids.empty() && !(pid && pids.count(pid))) return false;
  if (!exes.empty() && !exes.count(std::string(exe))) return false;
  if (!ports.empty() && !ports.count(src_port) && !ports.count(dest_port)) return false;
  if (hosts && !hosts->is_internal(src) && !hosts->is_internal(dest)) return false;
  return true;
}

bool EventFilter::parse_actions(const std::string& list, std::string* error) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "start")
      actions.insert(FlowAction::start);
    else if (item == "message")
      actions.insert(FlowAction::message);
    else if (item == "end")
      actions.insert(FlowAction::end);
    else {
      *error = "unknown action '" + item + "' (expected start, message or end)";
      return false;
    }
  }
  return true;
}

}  // namespace procflow
