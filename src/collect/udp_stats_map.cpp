#include "collect/udp_stats_map.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <vector>

namespace procflow {

void UdpStatsMap::read_all(const std::function<void(const pf_udp_key&, const pf_udp_stats&)>& fn) {
  // One syscall per batch of flows, not per flow.
  constexpr uint32_t batch = 256;
  std::vector<pf_udp_key> keys(batch);
  std::vector<pf_udp_stats> values(batch);
  pf_udp_key out_batch{};
  void* in_batch = nullptr;
  while (true) {
    uint32_t count = batch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err =
        bpf_map_lookup_batch(fd_, in_batch, &out_batch, keys.data(), values.data(), &count, &opts);
    if (err && errno != ENOENT) return;
    for (uint32_t i = 0; i < count; i++) fn(keys[i], values[i]);
    if (err) return;  // ENOENT: that was the last batch
    in_batch = &out_batch;
  }
}

std::optional<pf_udp_stats> UdpStatsMap::take(const pf_udp_key& key) {
  pf_udp_stats s{};
  if (bpf_map_lookup_and_delete_elem(fd_, &key, &s) != 0) {
    // Plain hash maps only support lookup-and-delete from 5.14.
    if (bpf_map_lookup_elem(fd_, &key, &s) != 0) return std::nullopt;
    bpf_map_delete_elem(fd_, &key);
  }
  return s;
}

}  // namespace procflow
