#include "collect/wire_stats_map.h"

#include <bpf/bpf.h>

#include <cstring>

#include "flow/event_enricher.h"

namespace procflow {

pf_wire_key wire_key_of(const pf_tuple& t) {
  pf_wire_key k{};
  const IpAddress src = tuple_address(t.saddr, t.family);
  const IpAddress dst = tuple_address(t.daddr, t.family);
  // tuple_address() leaves out the wildcard address; TCP tuples have none,
  // and an unset family would make a key no packet has.
  const uint8_t family = src.is_set() ? src.family : dst.family;
  k.family = family;
  const size_t n = family == 4 ? 4 : 16;
  const int cmp = std::memcmp(src.bytes.data(), dst.bytes.data(), n);
  const bool keep = cmp < 0 || (cmp == 0 && t.sport <= t.dport);
  std::memcpy(k.addr_lo, (keep ? src : dst).bytes.data(), n);
  std::memcpy(k.addr_hi, (keep ? dst : src).bytes.data(), n);
  k.port_lo = keep ? t.sport : t.dport;
  k.port_hi = keep ? t.dport : t.sport;
  return k;
}

std::optional<pf_wire_stats> pick_generation(const std::optional<pf_wire_stats>& live,
                                             const std::optional<pf_wire_stats>& retired,
                                             uint32_t syn_seq) {
  if (live && live->from_syn && live->syn_seq == syn_seq) return live;
  if (retired && retired->syn_seq == syn_seq) return retired;
  // TC never saw a SYN on this tuple (attached after the connection opened):
  // its flags are still this connection's, its count is partial.
  if (live && !live->from_syn) return live;
  return std::nullopt;
}

std::optional<pf_wire_stats> WireStatsMap::lookup(const pf_tuple& tuple, uint32_t syn_seq) {
  pf_wire_gen_key gen{};
  gen.conn = wire_key_of(tuple);
  gen.syn_seq = syn_seq;
  std::optional<pf_wire_stats> live, retired;
  pf_wire_stats s{};
  if (bpf_map_lookup_elem(wire_fd_, &gen.conn, &s) == 0) live = s;
  if (!(live && live->from_syn && live->syn_seq == syn_seq) &&
      bpf_map_lookup_elem(retired_fd_, &gen, &s) == 0)
    retired = s;
  return pick_generation(live, retired, syn_seq);
}

}  // namespace procflow
