// Reads the kernel's per-flow UDP counters (the udp_flows map) in batches.
#pragma once

#include "flow/flow_context.h"

namespace procflow {

class UdpStatsMap : public UdpStatsSource {
 public:
  explicit UdpStatsMap(int map_fd) : fd_(map_fd) {}
  void read_all(const std::function<void(const pf_udp_key&, const pf_udp_stats&)>& fn) override;
  std::optional<pf_udp_stats> take(const pf_udp_key& key) override;

 private:
  int fd_;
};

}  // namespace procflow
