/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cheap flow filters, applied where a flow starts so that a flow nobody
 * asked for costs no map entry, no record and no userspace work:
 *
 *   --pid   the task that connects (TCP) or sends/receives the first
 *           datagram (UDP). Accepted connections are not decided here: the
 *           accepting process is not known when the handshake completes.
 *   --port  either port of the flow, where both are known: accepted TCP
 *           connections, UDP datagrams, TC's per-connection counts, and
 *           connects once the source port is chosen (fentry/kprobe on
 *           tcp_connect; the SYN_SENT tracepoint comes before it, so there
 *           only a wanted destination port decides, and the rest is left to
 *           userspace).
 *
 * Userspace applies the same filters to every event (src/flow/event_filter.h),
 * so whatever the kernel cannot decide is still filtered exactly; the kernel
 * only ever leaves out flows userspace would drop too.
 *
 * DNS flows always pass: they tell userspace which network namespace a DNS
 * answer belongs to (flow/endpoint_index.h), and so name the wanted flows.
 */
#ifndef PROCFLOW_FLOW_FILTER_BPF_H
#define PROCFLOW_FLOW_FILTER_BPF_H

#include "record.bpf.h"

#define PF_DNS_PORT 53
#define PF_MDNS_PORT 5353
#define PF_LLMNR_PORT 5355

/* The wanted values; the loader sizes and fills them when a filter is on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, u32); /* tgid */
	__type(value, u8);
} filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, u16); /* host byte order */
	__type(value, u8);
} filter_ports SEC(".maps");

static __always_inline bool is_dns_port(u16 port)
{
	return port == PF_DNS_PORT || port == PF_MDNS_PORT || port == PF_LLMNR_PORT;
}

static __always_inline bool pid_wanted(u32 tgid)
{
	if (!pf_cfg.filter_by_pid)
		return true;
	return bpf_map_lookup_elem(&filter_pids, &tgid) != NULL;
}

static __always_inline bool port_listed(u16 port)
{
	return port && bpf_map_lookup_elem(&filter_ports, &port) != NULL;
}

/* Whether a flow between these ports (either order) is wanted. */
static __always_inline bool ports_wanted(u16 a, u16 b)
{
	if (!pf_cfg.filter_by_port)
		return true;
	if (is_dns_port(a) || is_dns_port(b))
		return true;
	return port_listed(a) || port_listed(b);
}

/* A DNS flow passes the pid filter too, for the reason above. */
static __always_inline bool pid_or_dns_wanted(u32 tgid, u16 a, u16 b)
{
	return pid_wanted(tgid) || is_dns_port(a) || is_dns_port(b);
}

/* A socket event the filters left out: counted, reported at exit. */
static __always_inline void count_filtered(void)
{
	count_drop(PF_COUNT_FILTERED);
}

#endif /* PROCFLOW_FLOW_FILTER_BPF_H */
