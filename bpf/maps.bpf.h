/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every map of procflow's kernel side, with the sizing rationale. The loader
 * may resize the bounded maps before load (bpf_map__set_max_entries).
 *
 *  events     one ring buffer for all records: one consumer, global order.
 *  flows      socket address -> state of a TCP socket procflow follows. A plain
 *             hash, not LRU: evicting a live flow would lose it silently, so a
 *             full map is counted (PF_DROP_FLOW_MAP_FULL) instead.
 *  listeners  (netns, port) -> the process that called listen(): the last
 *             resort owner of accepted connections.
 *  wire       canonical TCP tuple -> what TC saw of the connection that last
 *             opened on it (pf_wire_stats, procflow_abi.h).
 *  wire_retired (tuple, syn_seq) -> the same, for the connection before it,
 *             moved there when a new SYN reused the tuple. Both LRU: never
 *             deleted, read by userspace at a flow's end (within a second
 *             of it), then aged out.
 *  drops      per-CPU loss counters by reason, and ring-buffer losses by
 *             record kind; read and reported by userspace.
 */
#ifndef PROCFLOW_MAPS_BPF_H
#define PROCFLOW_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "procflow_abi.h"

/* Kernel-side state of one followed TCP socket. */
struct pf_flow_state {
	u64 start_ns;
	u32 owner_tgid;
	u32 owner_exec_id; /* the owner's self_exec_id: an exec makes it a new owner */
	u32 extra_packets; /* packets of this connection segs_in/out never count */
	u8 initiated;
	u8 implied_flags;
	u8 established;
	u8 owner_source;
	u8 fin_sent; /* our FIN is queued (FIN_WAIT1 or LAST_ACK was entered) */
	u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* the loader sets the real size (default 8 MiB) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct pf_flow_state);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct pf_listener_key);
	__type(value, struct pf_task);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pf_wire_key);
	__type(value, struct pf_wire_stats);
} wire SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pf_wire_gen_key);
	__type(value, struct pf_wire_stats);
} wire_retired SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PF_DROP_SLOTS);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

static __always_inline void count_drop(u32 counter)
{
	u64 *value = bpf_map_lookup_elem(&drops, &counter);
	if (value)
		*value += 1;
}

#endif /* PROCFLOW_MAPS_BPF_H */
