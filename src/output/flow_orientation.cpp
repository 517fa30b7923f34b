// Orientation helpers for the OCSF and ECS writers (see flow_orientation.h).
#include "output/flow_orientation.h"

namespace procflow {

bool local_is_source(const FlowEvent& e) {
  return e.initiated.value_or(true);
}

SourceOrientedBytes source_oriented_bytes(const FlowEvent& e) {
  if (local_is_source(e)) return {e.out_bytes, e.in_bytes};
  return {e.in_bytes, e.out_bytes};
}

bool is_loopback(const IpAddress& ip) {
  const IpAddress a = ip.unmapped();
  if (a.family == 4) return a.bytes[0] == 127;
  if (a.family != 6) return false;
  for (size_t i = 0; i < 15; ++i)
    if (a.bytes[i] != 0) return false;
  return a.bytes[15] == 1;
}

bool is_host_local(const FlowEvent& e) {
  if (!e.src_ip.is_set() || !e.dest_ip.is_set()) return false;
  return (is_loopback(e.src_ip) && is_loopback(e.dest_ip)) || e.src_ip == e.dest_ip;
}

const IpAddress* local_address(const FlowEvent& e) {
  if (!e.initiated) return nullptr;
  const IpAddress& ip = *e.initiated ? e.src_ip : e.dest_ip;
  return ip.is_set() ? &ip : nullptr;
}

}  // namespace procflow
