// Fills the parts of a FlowEvent that every transport shares: endpoints,
// direction, community id, the host, and the owning process with its exe,
// image_path and user. The TCP and UDP flow tables both build on it.
#pragma once

#include <string>

#include "flow/flow_context.h"
#include "procflow/flow_event.h"
#include "procflow_abi.h"

namespace procflow {

// A dual-stack socket talking IPv4 has mapped addresses: report plain IPv4,
// as on the wire. The wildcard address (0.0.0.0, ::) comes back unset.
IpAddress tuple_address(const uint8_t* bytes, uint8_t family);

class EventEnricher {
 public:
  explicit EventEnricher(FlowContext context) : ctx_(context) {}

  // Clears ev, then sets endpoints (initiator -> responder), transport,
  // direction, host, netns, initiated and start_time. community_id is
  // computed into *community_id once and reused for every event of the flow.
  void fill_flow(FlowEvent& ev, const pf_tuple& tuple, uint64_t netns, bool initiated,
                 uint64_t start_ns, std::string* community_id);
  // pid, ppid, uid, user, comm, cgroup_id, exe and image_path of owner.
  void fill_owner(FlowEvent& ev, const pf_task& owner);

  const FlowContext& context() const { return ctx_; }

 private:
  FlowContext ctx_;
};

}  // namespace procflow
