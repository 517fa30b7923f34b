// Everything the flow table asks while building events: the enrichers
// (read-mostly caches fed by their own streams) and where TC packet counters
// come from. The table asks them; they never call back.
#pragma once

#include <functional>
#include <optional>

#include "enrich/host_identity.h"
#include "enrich/name_resolver.h"
#include "enrich/network_direction.h"
#include "enrich/process_cache.h"
#include "enrich/user_resolver.h"
#include "procflow_abi.h"
#include "util/boot_clock.h"

namespace procflow {

// Per-connection packet counters kept by the TC programs.
class PacketStatsSource {
 public:
  virtual ~PacketStatsSource() = default;
  virtual std::optional<pf_pkt_stats> lookup(const pf_pkt_key& key) = 0;
  // The flow using key has ended: its entry may go once nobody needs it.
  virtual void release(const pf_pkt_key& key, uint64_t now_ns) = 0;
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
  PacketStatsSource* packets = nullptr;  // nullptr: no TC program attached
  NameResolver* names = nullptr;         // nullptr: no names for remote addresses
};

}  // namespace procflow
