#include "collect/dns_record.h"

#include <algorithm>

namespace procflow {

DnsWireMessage dns_wire_of(const pf_dns& r) {
  DnsWireMessage w;
  const bool v4 = r.tuple.family == 4;
  w.src = v4 ? IpAddress::v4(r.tuple.saddr) : IpAddress::v6(r.tuple.saddr);
  w.dst = v4 ? IpAddress::v4(r.tuple.daddr) : IpAddress::v6(r.tuple.daddr);
  w.sport = r.tuple.sport;
  w.dport = r.tuple.dport;
  w.proto = r.proto;
  w.ifindex = r.ifindex;
  w.egress = r.egress != 0;
  w.time_ns = r.hdr.ktime_ns;
  return w;
}

std::span<const uint8_t> dns_payload_of(const pf_dns& r) {
  return {r.payload, std::min<size_t>(r.payload_len, PF_DNS_MAX)};
}

}  // namespace procflow
