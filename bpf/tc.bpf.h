/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TC clsact / tcx programs: per-connection packet and byte counts and the
 * union of TCP flags, as seen on the wire of the interfaces procflow is
 * attached to, and copies of DNS responses for the name cache.
 *
 * They only observe. Every path returns TC_ACT_UNSPEC (== TCX_NEXT): the
 * packet continues exactly as if procflow were not there, and other filters
 * still run. Headers are read with bpf_skb_load_bytes, so non-linear skbs are
 * fine and no direct packet access can go out of bounds.
 *
 * Entries are keyed by the canonical tuple (lower endpoint first), so both
 * directions of a connection, and both local sockets of a loopback one, meet
 * in one entry. On loopback each packet passes egress and then ingress: it is
 * counted at egress only.
 */
#ifndef PROCFLOW_TC_BPF_H
#define PROCFLOW_TC_BPF_H

#include <bpf/bpf_endian.h>
#include "record.bpf.h"

#define TC_ACT_UNSPEC (-1)
#define PF_ETH_P_IP 0x0800
#define PF_ETH_P_IPV6 0x86DD
#define PF_ETH_P_8021Q 0x8100
#define PF_ETH_P_8021AD 0x88A8
#define PF_LOOPBACK_IFINDEX 1 /* lo is created first in every namespace */

struct pf_l4_view {
	struct pf_pkt_key key; /* still in packet order (src first) until canonicalized */
	u8 tcp_flags;
	int payload_off; /* where the transport payload starts in the skb */
};

#define PF_DNS_PORT 53
#define PF_MDNS_PORT 5353
#define PF_LLMNR_PORT 5355

/* Where the IP header starts: after Ethernet (and VLAN tags), or at 0 on
 * devices without a link-layer header (tun, wireguard). */
static __always_inline int network_offset(struct __sk_buff *skb, u16 *ethertype)
{
	u16 proto = bpf_ntohs(skb->protocol);
	u16 type = 0;
	if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) == 0) {
		type = bpf_ntohs(type);
		int off = 14;
		if (type == PF_ETH_P_8021Q || type == PF_ETH_P_8021AD) {
			if (bpf_skb_load_bytes(skb, 16, &type, sizeof(type)))
				return -1;
			type = bpf_ntohs(type);
			off = 18;
		}
		if (type == proto) {
			*ethertype = proto;
			return off;
		}
	}
	u8 first = 0;
	if (bpf_skb_load_bytes(skb, 0, &first, 1))
		return -1;
	if ((proto == PF_ETH_P_IP && (first >> 4) == 4) ||
	    (proto == PF_ETH_P_IPV6 && (first >> 4) == 6)) {
		*ethertype = proto;
		return 0;
	}
	return -1;
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct pf_l4_view *v)
{
	u16 ethertype = 0;
	int off = network_offset(skb, &ethertype);
	if (off < 0)
		return -1;
	u8 proto;
	if (ethertype == PF_ETH_P_IP) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
			return -1;
		if (ip.frag_off & bpf_htons(0x1FFF))
			return -1; /* a later fragment: no ports */
		proto = ip.protocol;
		v->key.family = 4;
		__builtin_memcpy(v->key.addr_lo, &ip.saddr, 4);
		__builtin_memcpy(v->key.addr_hi, &ip.daddr, 4);
		off += ip.ihl * 4;
	} else if (ethertype == PF_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
			return -1;
		proto = ip6.nexthdr;
		v->key.family = 6;
		__builtin_memcpy(v->key.addr_lo, &ip6.saddr, 16);
		__builtin_memcpy(v->key.addr_hi, &ip6.daddr, 16);
		off += sizeof(ip6);
	} else {
		return -1;
	}
	v->key.proto = proto;
	if (proto == IPPROTO_UDP) {
		struct udphdr udp;
		if (bpf_skb_load_bytes(skb, off, &udp, sizeof(udp)))
			return -1;
		v->key.port_lo = bpf_ntohs(udp.source);
		v->key.port_hi = bpf_ntohs(udp.dest);
		v->payload_off = off + sizeof(udp);
		return 0;
	}
	if (proto != IPPROTO_TCP)
		return -1;
	struct tcphdr tcp;
	if (bpf_skb_load_bytes(skb, off, &tcp, sizeof(tcp)))
		return -1;
	v->key.port_lo = bpf_ntohs(tcp.source);
	v->key.port_hi = bpf_ntohs(tcp.dest);
	/* The flags byte follows the data offset byte: offset 13 of the header. */
	v->tcp_flags = ((u8 *)&tcp)[13];
	v->payload_off = off + tcp.doff * 4;
	return 0;
}

static __always_inline bool is_dns_server_port(u16 port)
{
	return port == PF_DNS_PORT || port == PF_MDNS_PORT || port == PF_LLMNR_PORT;
}

/* Copies a DNS response (source port 53/5353/5355) into the ring buffer. The
 * parsing happens in userspace, with a real DNS library. */
static __always_inline void capture_dns(struct __sk_buff *skb, const struct pf_l4_view *v)
{
	if (!is_dns_server_port(v->key.port_lo))
		return; /* key still in packet order: port_lo is the source port */
	if (v->key.proto == IPPROTO_TCP && v->key.port_lo != PF_DNS_PORT)
		return;
	if (v->payload_off <= 0 || v->payload_off >= skb->len)
		return; /* a bare ACK or FIN */
	u32 len = skb->len - v->payload_off;
	if (len > PF_DNS_MAX) {
		count_drop(PF_DROP_DNS_TRUNCATED);
		return;
	}
	struct pf_dns *rec = reserve_record(sizeof(*rec), PF_REC_DNS);
	if (!rec)
		return;
	rec->ifindex = skb->ifindex;
	rec->proto = v->key.proto;
	rec->_pad = 0;
	__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
	rec->tuple.family = v->key.family;
	rec->tuple.proto = v->key.proto;
	__builtin_memcpy(rec->tuple.saddr, v->key.addr_lo, 16);
	__builtin_memcpy(rec->tuple.daddr, v->key.addr_hi, 16);
	rec->tuple.sport = v->key.port_lo;
	rec->tuple.dport = v->key.port_hi;
	/* len is 1..PF_DNS_MAX here. Copy (len - 1) masked, plus one: older
	 * verifiers do not learn a lower bound from a `len == 0` test, and a
	 * zero-size copy is refused. The barrier keeps the compiler from folding
	 * the mask into the comparisons above. */
	u32 n = len - 1;
	asm volatile("" : "+r"(n));
	n &= (PF_DNS_MAX - 1);
	if (bpf_skb_load_bytes(skb, v->payload_off, rec->payload, n + 1)) {
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	rec->payload_len = n + 1;
	submit_record(rec);
}

/* Orders the endpoints so that (addr_lo, port_lo) < (addr_hi, port_hi). */
static __always_inline void canonicalize(struct pf_pkt_key *k)
{
	int cmp = 0;
#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (cmp == 0 && k->addr_lo[i] != k->addr_hi[i])
			cmp = k->addr_lo[i] < k->addr_hi[i] ? -1 : 1;
	}
	if (cmp < 0 || (cmp == 0 && k->port_lo <= k->port_hi))
		return;
	u8 tmp[16];
	__builtin_memcpy(tmp, k->addr_lo, 16);
	__builtin_memcpy(k->addr_lo, k->addr_hi, 16);
	__builtin_memcpy(k->addr_hi, tmp, 16);
	u16 port = k->port_lo;
	k->port_lo = k->port_hi;
	k->port_hi = port;
}

static __always_inline void observe_packet(struct __sk_buff *skb)
{
	struct pf_l4_view v = {};
	if (parse_l4(skb, &v))
		return;
	if (v.key.proto == IPPROTO_UDP) {
		capture_dns(skb, &v);
		return; /* UDP flows are counted per datagram at the socket */
	}
	if (v.key.port_lo == PF_DNS_PORT)
		capture_dns(skb, &v);
	canonicalize(&v.key);
	u64 now = bpf_ktime_get_boot_ns();
	struct pf_pkt_stats *s = bpf_map_lookup_elem(&pkt_stats, &v.key);
	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, skb->len);
		s->tcp_flags |= v.tcp_flags; /* a lost race loses a flag seen twice anyway */
		s->last_ns = now;
		return;
	}
	struct pf_pkt_stats fresh = {
	    .packets = 1,
	    .bytes = skb->len,
	    .first_ns = now,
	    .last_ns = now,
	    .tcp_flags = v.tcp_flags,
	};
	if (bpf_map_update_elem(&pkt_stats, &v.key, &fresh, BPF_NOEXIST)) {
		/* Another CPU created it first: add to theirs. */
		s = bpf_map_lookup_elem(&pkt_stats, &v.key);
		if (!s) {
			count_drop(PF_DROP_PKT_MAP_FULL);
			return;
		}
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, skb->len);
		s->tcp_flags |= v.tcp_flags;
	}
}

SEC("tc")
int pf_tc_ingress(struct __sk_buff *skb)
{
	if (skb->ifindex != PF_LOOPBACK_IFINDEX)
		observe_packet(skb);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int pf_tc_egress(struct __sk_buff *skb)
{
	observe_packet(skb);
	return TC_ACT_UNSPEC;
}

#endif /* PROCFLOW_TC_BPF_H */
