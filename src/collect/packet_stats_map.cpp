#include "collect/packet_stats_map.h"

#include <bpf/bpf.h>

namespace procflow {

std::optional<pf_pkt_stats> PacketStatsMap::lookup(const pf_pkt_key& key) {
  pf_pkt_stats stats{};
  if (bpf_map_lookup_elem(fd_, &key, &stats) != 0) return std::nullopt;
  return stats;
}

void PacketStatsMap::release(const pf_pkt_key& key, uint64_t now_ns) {
  releases_.emplace_back(key, now_ns + grace_ns_);
}

void PacketStatsMap::sweep(uint64_t now_ns) {
  while (!releases_.empty() && releases_.front().second <= now_ns) {
    bpf_map_delete_elem(fd_, &releases_.front().first);
    releases_.pop_front();
  }
}

}  // namespace procflow
