/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The key of a TCP connection as its packets name it (pf_wire_key), and the
 * IPv4-mapped test shared with the UDP code. A dual-stack socket's
 * IPv4-mapped addresses are plain IPv4 on the wire, so they become family 4.
 * Userspace builds the same key from a flow's tuple (collect/wire_stats_map).
 */
#ifndef PROCFLOW_WIRE_KEY_BPF_H
#define PROCFLOW_WIRE_KEY_BPF_H

#include <bpf/bpf_endian.h>
#include "record.bpf.h"

static __always_inline bool is_v4_mapped(const u8 *a)
{
	u64 lo;
	u32 mid;
	__builtin_memcpy(&lo, a, 8);
	__builtin_memcpy(&mid, a + 8, 4);
	return lo == 0 && mid == bpf_htonl(0x0000FFFF);
}

/* Orders the endpoints so that (addr_lo, port_lo) <= (addr_hi, port_hi).
 * Returns 1 when it swapped them (the sender was the higher endpoint). */
static __always_inline u32 canonicalize_wire_key(struct pf_wire_key *k)
{
	int cmp = 0;
#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (cmp == 0 && k->addr_lo[i] != k->addr_hi[i])
			cmp = k->addr_lo[i] < k->addr_hi[i] ? -1 : 1;
	}
	if (cmp < 0 || (cmp == 0 && k->port_lo <= k->port_hi))
		return 0;
	swap_endpoints(k->addr_lo, &k->port_lo, k->addr_hi, &k->port_hi);
	return 1;
}

/* Fills k (zeroed by the caller) from one direction of a connection.
 * Returns the direction: 0 when saddr:sport is the key's lower endpoint. */
static __always_inline u32 make_wire_key(struct pf_wire_key *k, u8 family, const u8 *saddr,
					 u16 sport, const u8 *daddr, u16 dport)
{
	if (family == 6 && is_v4_mapped(saddr) && is_v4_mapped(daddr)) {
		k->family = 4;
		__builtin_memcpy(k->addr_lo, saddr + 12, 4);
		__builtin_memcpy(k->addr_hi, daddr + 12, 4);
	} else {
		k->family = family;
		__builtin_memcpy(k->addr_lo, saddr, 16);
		__builtin_memcpy(k->addr_hi, daddr, 16);
	}
	k->port_lo = sport;
	k->port_hi = dport;
	return canonicalize_wire_key(k);
}

#endif /* PROCFLOW_WIRE_KEY_BPF_H */
