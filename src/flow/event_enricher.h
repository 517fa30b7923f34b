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

// What a flow keeps from its first event so every later event says the same:
// the community id (computed once) and the names its addresses had when the
// flow started (a later DNS answer for the same address must not rename it).
struct FlowLabels {
  // Converted once: the boot-to-wall offset is re-measured while a flow lives,
  // and its start and end events must agree to the microsecond.
  uint64_t start_time_us = 0;
  bool named = false;
  std::string community_id;
  std::string src_fqdn, dest_fqdn;
  std::string src_canonical, dest_canonical;
  NameSource src_source = NameSource::none, dest_source = NameSource::none;
  std::string src_conflict, dest_conflict;
};

// The process that owns a socket, as it was when procflow saw it act on the
// socket (connect, accept, send/recv, listen, the first datagram). Resolved
// once, when that record is read, so every process field of an event comes
// from one moment: an exec after the connect does not pair the old comm with
// the new image (docs/events.md#process-fields).
struct OwnerView {
  pf_task task{};  // tgid 0: unknown
  std::string user;
  ProcessEntry process;     // image_path and exe; empty when nothing knew them
  ContainerView container;  // its container and pod; empty outside one

  bool known() const { return task.tgid != 0; }
};

class EventEnricher {
 public:
  explicit EventEnricher(FlowContext context) : ctx_(context) {}

  // Clears ev, then sets endpoints (initiator -> responder) and their names,
  // transport, direction, community id, host, netns, initiated and
  // start_time. *labels is filled on the first call and reused after.
  void fill_flow(FlowEvent& ev, const pf_tuple& tuple, uint64_t netns, bool initiated,
                 uint64_t start_ns, FlowLabels* labels);
  // Whether the flow-level filters want a flow with this tuple and owner: asked
  // before anything of an event is built.
  bool wanted(const pf_tuple& tuple, const OwnerView& owner) const;
  // Looks the owner up now (process cache, user names) into *view.
  void resolve_owner(const pf_task& owner, OwnerView* view);
  // pid, ppid, uid, user, comm, cgroup_id, exe, image_path and the
  // container and pod fields of the view.
  void fill_owner(FlowEvent& ev, const OwnerView& owner) const;

  const FlowContext& context() const { return ctx_; }

 private:
  FlowContext ctx_;
};

}  // namespace procflow
