#include "flow/event_enricher.h"

#include <cstring>

#include "enrich/community_id.h"

namespace procflow {

IpAddress tuple_address(const uint8_t* bytes, uint8_t family) {
  IpAddress a = family == 4 ? IpAddress::v4(bytes) : IpAddress::v6(bytes);
  a = a.unmapped();
  // An unconnected socket bound to the wildcard address has no single local
  // address: the kernel picks one per datagram. Unknown, so left out.
  bool unspecified = true;
  for (size_t i = 0; i < a.size(); i++) unspecified &= a.bytes[i] == 0;
  return unspecified ? IpAddress{} : a;
}

void EventEnricher::fill_flow(FlowEvent& ev, const pf_tuple& tuple, uint64_t netns, bool initiated,
                              uint64_t start_ns, std::string* community_id_cache) {
  ev.clear();
  ev.transport = tuple.proto ? tuple.proto : ip_proto_tcp;
  ev.src_ip = tuple_address(tuple.saddr, tuple.family);
  ev.dest_ip = tuple_address(tuple.daddr, tuple.family);
  ev.src_port = tuple.sport;
  ev.dest_port = tuple.dport;
  ev.initiated = initiated;
  ev.netns = netns;
  ev.hostname = ctx_.host.hostname;
  ev.fqdn = ctx_.host.fqdn;
  ev.network_direction = ctx_.networks.classify(ev.src_ip, ev.dest_ip);
  if (community_id_cache->empty() && tuple.sport && tuple.dport && ev.src_ip.is_set() &&
      ev.dest_ip.is_set())
    *community_id_cache =
        community_id(ev.src_ip, ev.dest_ip, ev.src_port, ev.dest_port, ev.transport);
  ev.community_id = *community_id_cache;
  ev.start_time_us = ctx_.clock.to_unix_us(start_ns);
}

void EventEnricher::fill_owner(FlowEvent& ev, const pf_task& o) {
  if (o.tgid == 0) return;
  ev.pid = o.tgid;
  ev.ppid = o.ppid;
  ev.uid = o.uid;
  ev.comm.assign(o.comm, strnlen(o.comm, sizeof o.comm));
  ev.cgroup_id = o.cgroup_id;
  ev.user = ctx_.users.name(o.uid, o.tgid, o.mntns);
  if (const ProcessEntry* p = ctx_.processes.find(o.tgid, o.start_boot_ns, o.ppid)) {
    ev.image_path = p->image_path;
    ev.exe = p->exe;
  }
}

}  // namespace procflow
