// Reads what the TC programs saw of a TCP connection: the wire map (the
// connection that last opened on a tuple) and wire_retired (the ones before
// it, under their SYN's sequence number). Both are LRU maps the kernel fills;
// nothing is deleted from here, so both local sockets of a loopback
// connection read the same entry.
#pragma once

#include <cstdint>
#include <optional>

#include "flow/flow_context.h"
#include "procflow_abi.h"

namespace procflow {

// The key TC files a connection under: lower (address, port) first, and a
// dual-stack socket's IPv4-mapped addresses as plain IPv4, as on the wire.
pf_wire_key wire_key_of(const pf_tuple& tuple);

// Chooses between the live and the retired entry for a connection's SYN.
// `live` is the wire entry for the tuple, `retired` the wire_retired entry for
// (tuple, syn_seq); either may be missing.
std::optional<pf_wire_stats> pick_generation(const std::optional<pf_wire_stats>& live,
                                             const std::optional<pf_wire_stats>& retired,
                                             uint32_t syn_seq);

class WireStatsMap : public WireStatsSource {
 public:
  WireStatsMap(int wire_fd, int retired_fd) : wire_fd_(wire_fd), retired_fd_(retired_fd) {}
  std::optional<pf_wire_stats> lookup(const pf_tuple& tuple, uint32_t syn_seq) override;

 private:
  int wire_fd_;
  int retired_fd_;
};

}  // namespace procflow
