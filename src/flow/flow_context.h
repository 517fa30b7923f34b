// Everything the flow table asks while building events: the enrichers
// (read-mostly caches fed by their own streams). The table asks them; they
// never call back.
#pragma once

#include <functional>
#include <optional>

#include "enrich/container_resolver.h"
#include "enrich/host_identity.h"
#include "enrich/name_resolver.h"
#include "enrich/network_direction.h"
#include "enrich/process_cache.h"
#include "enrich/user_resolver.h"
#include "flow/event_filter.h"
#include "procflow_abi.h"
#include "util/boot_clock.h"

namespace procflow {

struct ConversationSettings;  // flow/flow_conversation.h

// What TC saw of one TCP connection (the wire and wire_retired maps).
class WireStatsSource {
 public:
  virtual ~WireStatsSource() = default;
  // The connection on `tuple` opened by the SYN with sequence number syn_seq,
  // or the entry TC made without seeing a SYN; nullopt when TC saw neither.
  virtual std::optional<pf_wire_stats> lookup(const pf_tuple& tuple, uint32_t syn_seq) = 0;
};

// Per-flow UDP counters kept by the kernel (the udp_flows map).
class UdpStatsSource {
 public:
  virtual ~UdpStatsSource() = default;
  // Calls fn for every flow the kernel is counting.
  virtual void read_all(const std::function<void(const pf_udp_key&, const pf_udp_stats&)>& fn) = 0;
  // The last counters of a flow, and the kernel stops counting it.
  virtual std::optional<pf_udp_stats> take(const pf_udp_key& key) = 0;
};

struct FlowContext {
  ProcessCache& processes;
  UserResolver& users;
  const HostIdentity& host;
  const NetworkClassifier& networks;
  const BootClock& clock;
  NameResolver* names = nullptr;            // nullptr: no names for remote addresses
  WireStatsSource* wire = nullptr;          // nullptr: no TC program attached
  const EventFilter* filter = nullptr;      // flow-level filters, applied before enrichment
  ContainerResolver* containers = nullptr;  // nullptr: no container or pod fields
  // Content capture and its description; nullptr: no `message` events.
  const ConversationSettings* conversations = nullptr;
};

}  // namespace procflow
