#include "flow/event_enricher.h"

#include <cstring>

#include "enrich/community_id.h"
#include "enrich/host_names.h"

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
                              uint64_t start_ns, FlowLabels* labels) {
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
  if (!labels->start_time_us) labels->start_time_us = ctx_.clock.to_unix_us(start_ns);
  ev.start_time_us = labels->start_time_us;
  // Labels wait for a complete tuple: an outbound TCP flow learns its port late.
  if (!labels->named && tuple.sport && tuple.dport) {
    labels->named = true;
    if (ev.src_ip.is_set() && ev.dest_ip.is_set())
      labels->community_id =
          community_id(ev.src_ip, ev.dest_ip, ev.src_port, ev.dest_port, ev.transport);
    if (ctx_.names) {
      const uint64_t now_s = ctx_.clock.now_boot_ns() / 1'000'000'000ull;
      ResolvedName src = ctx_.names->resolve(netns, ev.src_ip, now_s);
      labels->src_fqdn = src.fqdn;
      labels->src_canonical = src.canonical;
      labels->src_source = src.source;
      labels->src_conflict = std::move(src.conflict);
      ResolvedName dest = ctx_.names->resolve(netns, ev.dest_ip, now_s);
      labels->dest_fqdn = dest.fqdn;
      labels->dest_canonical = dest.canonical;
      labels->dest_source = dest.source;
      labels->dest_conflict = std::move(dest.conflict);
    }
  }
  ev.community_id = labels->community_id;
  ev.src_fqdn = labels->src_fqdn;
  ev.dest_fqdn = labels->dest_fqdn;
  ev.src_canonical = labels->src_canonical;
  ev.dest_canonical = labels->dest_canonical;
  ev.src_fqdn_source = labels->src_source;
  ev.dest_fqdn_source = labels->dest_source;
  ev.src_fqdn_conflict = labels->src_conflict;
  ev.dest_fqdn_conflict = labels->dest_conflict;
  fill_short_hostnames(ev);
}

bool EventEnricher::wanted(const pf_tuple& t, const OwnerView& o) const {
  if (!ctx_.filter || !ctx_.filter->filters_flows()) return true;
  return ctx_.filter->matches_flow(tuple_address(t.saddr, t.family),
                                   tuple_address(t.daddr, t.family), t.sport, t.dport, o.task.tgid,
                                   o.process.exe);
}

void EventEnricher::resolve_owner(const pf_task& o, OwnerView* view) {
  view->task = o;
  view->user.clear();
  view->process = ProcessEntry{};
  view->container = ContainerView{};
  if (o.tgid == 0) return;
  if (ctx_.containers)
    view->container = ctx_.containers->resolve(o.tgid, o.start_boot_ns, o.cgroup_id, o.ns_tgid);
  const ProcessEntry* p = ctx_.processes.find(o.tgid, o.start_boot_ns);
  if (p) view->process = *p;
  // A namespace's passwd counts only as what the owner's program saw: it
  // may have been bind-mounted just before the final exec.
  view->user = ctx_.users.name(o.uid, o.tgid, o.mntns,
                               p ? p->program : ProgramStart{o.start_boot_ns, std::nullopt},
                               p ? p->exited_at_ns : 0);
}

void EventEnricher::fill_owner(FlowEvent& ev, const OwnerView& view) const {
  const pf_task& o = view.task;
  if (o.tgid == 0) return;
  ev.pid = o.tgid;
  ev.ppid = o.ppid;
  ev.uid = o.uid;
  ev.comm.assign(o.comm, strnlen(o.comm, sizeof o.comm));
  ev.cgroup_id = o.cgroup_id;
  ev.user = view.user;
  ev.image_path = view.process.image.path;
  ev.exe = view.process.exe;
  ev.image_deleted = view.process.image.deleted;
  ev.image_memfd = view.process.image.memfd;
  ev.image_truncated = view.process.image.truncated;
  const ContainerView& c = view.container;
  ev.container_id = c.container.container_id;
  ev.container_runtime = to_string(c.container.runtime);
  ev.pod_uid = c.container.pod_uid;
  ev.pod_name = c.pod_name;
  ev.pod_namespace = c.pod_namespace;
  ev.container_name = c.container_name;
  ev.container_pid = c.container_pid;
}

}  // namespace procflow
