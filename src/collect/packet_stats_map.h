// Reads the TC programs' per-connection counters (the pkt_stats map).
//
// Both local sockets of one connection share an entry, so an entry is not
// deleted when the first of them ends: it is queued and deleted after a grace
// period, by which time the other side has ended too (or it is re-queued).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "flow/flow_context.h"

namespace procflow {

class PacketStatsMap : public PacketStatsSource {
 public:
  explicit PacketStatsMap(int map_fd, uint64_t grace_ns = 2'000'000'000)
      : fd_(map_fd), grace_ns_(grace_ns) {}
  std::optional<pf_pkt_stats> lookup(const pf_pkt_key& key) override;
  void release(const pf_pkt_key& key, uint64_t now_ns) override;
  // Deletes entries released more than grace ago.
  void sweep(uint64_t now_ns);

 private:
  int fd_;
  uint64_t grace_ns_;
  std::deque<std::pair<pf_pkt_key, uint64_t>> releases_;
};

}  // namespace procflow
