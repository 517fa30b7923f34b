/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TC clsact / tcx programs: the packets and TCP flags of each connection on
 * the wire of the interfaces procflow is attached to, and copies of DNS
 * messages for the name cache.
 *
 * They only observe. Every path returns TC_ACT_UNSPEC (== TCX_NEXT): the
 * packet continues exactly as if procflow were not there, and other filters
 * still run.
 *
 * Packets are parsed from the network header (bpf_skb_load_bytes_relative
 * with BPF_HDR_START_NET) and skb->protocol, never by guessing the link
 * layer, so Ethernet, VLAN, loopback, tun, WireGuard and ip-in-ip devices all
 * parse the same way.
 *
 * Each TCP connection's packets and flags are kept per connection in wire
 * (pf_wire_stats in procflow_abi.h explains the keying, the generations and
 * why a packet is counted on one interface only). On loopback each packet
 * passes egress and then ingress: it is seen at egress only. The first bytes
 * of each turn of a conversation are copied for `message` events
 * (payload.bpf.h).
 */
#ifndef PROCFLOW_TC_BPF_H
#define PROCFLOW_TC_BPF_H

#include <bpf/bpf_endian.h>
#include "flow_filter.bpf.h"
#include "record.bpf.h"
#include "wire_key.bpf.h"

#define TC_ACT_UNSPEC (-1)
#define PF_ETH_P_IP 0x0800
#define PF_ETH_P_IPV6 0x86DD
#define PF_ETH_P_8021Q 0x8100
#define PF_ETH_P_8021AD 0x88A8
#define PF_LOOPBACK_IFINDEX 1 /* lo is created first in every namespace */

#define PF_TCP_SYN 0x02
#define PF_TCP_ACK 0x10

/* One packet's IP and transport header, as far as procflow needs them. */
struct pf_packet {
	u8 saddr[16]; /* IPv4 in the first 4 bytes */
	u8 daddr[16];
	u16 sport;
	u16 dport;
	u8 family;
	u8 proto;
	u8 tcp_flags;
	u8 _pad;
	u32 seq;	 /* TCP sequence number, host order */
	u32 net_base;	 /* where the IP header starts after the network header (a VLAN tag) */
	u32 payload_off; /* transport payload, from the network header */
	u32 ip_len;	 /* the IP packet's length from its header, from net_base */
};

static __always_inline int load_net(struct __sk_buff *skb, u32 off, void *to, u32 len)
{
	return bpf_skb_load_bytes_relative(skb, off, to, len, BPF_HDR_START_NET);
}

static __always_inline int parse_packet(struct __sk_buff *skb, struct pf_packet *p)
{
	u16 proto = bpf_ntohs(skb->protocol);
	u32 base = 0;
	if (proto == PF_ETH_P_8021Q || proto == PF_ETH_P_8021AD) {
		/* A tag the device did not strip: the IP header follows it. */
		u16 inner;
		if (load_net(skb, 2, &inner, sizeof(inner)))
			return -1;
		proto = bpf_ntohs(inner);
		base = 4;
	}
	u32 off;
	if (proto == PF_ETH_P_IP) {
		struct iphdr ip;
		if (load_net(skb, base, &ip, sizeof(ip)) || ip.version != 4)
			return -1;
		if (ip.frag_off & bpf_htons(0x1FFF))
			return -1; /* a later fragment: no transport header */
		p->family = 4;
		p->proto = ip.protocol;
		__builtin_memcpy(p->saddr, &ip.saddr, 4);
		__builtin_memcpy(p->daddr, &ip.daddr, 4);
		p->ip_len = bpf_ntohs(ip.tot_len);
		off = base + ip.ihl * 4;
	} else if (proto == PF_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		if (load_net(skb, base, &ip6, sizeof(ip6)) || ip6.version != 6)
			return -1;
		p->family = 6;
		p->proto = ip6.nexthdr; /* extension headers are not followed */
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
		p->ip_len = sizeof(ip6) + bpf_ntohs(ip6.payload_len);
		off = base + sizeof(ip6);
	} else {
		return -1;
	}
	p->net_base = base;
	if (p->proto == IPPROTO_UDP) {
		struct udphdr udp;
		if (load_net(skb, off, &udp, sizeof(udp)))
			return -1;
		p->sport = bpf_ntohs(udp.source);
		p->dport = bpf_ntohs(udp.dest);
		p->payload_off = off + sizeof(udp);
		return 0;
	}
	if (p->proto != IPPROTO_TCP)
		return -1;
	struct tcphdr tcp;
	if (load_net(skb, off, &tcp, sizeof(tcp)))
		return -1;
	p->sport = bpf_ntohs(tcp.source);
	p->dport = bpf_ntohs(tcp.dest);
	p->seq = bpf_ntohl(tcp.seq);
	/* The flags byte follows the data offset byte: offset 13 of the header. */
	p->tcp_flags = ((u8 *)&tcp)[13];
	p->payload_off = off + tcp.doff * 4;
	return 0;
}

/* A record's tuple as the packet has it: source -> destination. */
static __always_inline void fill_wire_tuple(struct pf_tuple *t, const struct pf_packet *p)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = p->family;
	t->proto = p->proto;
	__builtin_memcpy(t->saddr, p->saddr, 16);
	__builtin_memcpy(t->daddr, p->daddr, 16);
	t->sport = p->sport;
	t->dport = p->dport;
}

/* Copies n + 1 bytes (n <= PF_DNS_MAX - 1) of the payload: from the linear
 * data when it is there, else through the absolute offset of the network
 * header, which the IP length tells (skb->len - ip_len; no link trailer on a
 * message this long), so paged payloads are copied too. */
static __always_inline int copy_payload(struct __sk_buff *skb, const struct pf_packet *p, u32 n,
					u8 *to)
{
	if (load_net(skb, p->payload_off, to, n + 1) == 0)
		return 0;
	u32 whole = p->net_base + p->ip_len;
	if (whole > skb->len)
		return -1;
	u32 net_off = skb->len - whole;
	if (net_off > 64)
		return -1; /* no link header is that long: the lengths disagree */
	return bpf_skb_load_bytes(skb, net_off + p->payload_off, to, n + 1);
}

/* Copies a DNS query or response into the ring buffer. The parsing, and the
 * matching of answers to queries, happen in userspace with a real DNS
 * library. */
static __always_inline void capture_dns(struct __sk_buff *skb, const struct pf_packet *p,
					bool egress)
{
	if (p->proto == IPPROTO_TCP) {
		if (p->sport != PF_DNS_PORT && p->dport != PF_DNS_PORT)
			return;
	} else if (!is_dns_port(p->sport) && !is_dns_port(p->dport)) {
		return;
	}
	u32 end = p->net_base + p->ip_len;
	if (p->payload_off >= end)
		return; /* a bare ACK or FIN, or an empty datagram */
	u32 len = end - p->payload_off;
	if (len > PF_DNS_MAX) {
		count_drop(PF_DROP_DNS_TRUNCATED);
		return;
	}
	struct pf_dns *rec = reserve_record(sizeof(*rec), PF_REC_DNS);
	if (!rec)
		return;
	rec->ifindex = skb->ifindex;
	rec->proto = p->proto;
	rec->egress = egress;
	fill_wire_tuple(&rec->tuple, p);
	/* len is 1..PF_DNS_MAX here. Copy (len - 1) masked, plus one: older
	 * verifiers do not learn a lower bound from a `len == 0` test, and a
	 * zero-size copy is refused. The barrier keeps the compiler from folding
	 * the mask into the comparisons above. */
	u32 n = len - 1;
	asm volatile("" : "+r"(n));
	n &= (PF_DNS_MAX - 1);
	if (copy_payload(skb, p, n, rec->payload)) {
		count_drop(PF_DROP_DNS_UNREADABLE);
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	rec->payload_len = n + 1;
	submit_record(rec);
}

/* A GSO/GRO super-packet carries gso_segs TCP segments; anything else one.
 * A super-packet from an untrusted source (a tun/tap device's virtio-net
 * header: a VM's or a VPN's TSO) has gso_size but gso_segs 0 until the kernel
 * segments it: its segments are its payload in gso_size pieces, the count
 * the kernel itself computes for such packets (qdisc_pkt_len_init). */
static __always_inline u64 segments_of(struct __sk_buff *skb, const struct pf_packet *p)
{
	u32 segs = skb->gso_segs;
	if (segs)
		return segs;
	u32 size = skb->gso_size;
	u32 end = p->net_base + p->ip_len;
	if (!size || end <= p->payload_off)
		return 1;
	return (end - p->payload_off + size - 1) / size;
}

/* Counts the packet for its connection (pf_wire_stats in procflow_abi.h): a
 * SYN with a new sequence number retires the entry of the connection before
 * it on this tuple and starts a new one. */
static __always_inline void observe_tcp(struct __sk_buff *skb, const struct pf_packet *p)
{
	struct pf_wire_key key = {};
	make_wire_key(&key, p->family, p->saddr, p->sport, p->daddr, p->dport);
	u8 flags = p->tcp_flags;
	bool opening = (flags & (PF_TCP_SYN | PF_TCP_ACK)) == PF_TCP_SYN;
	u64 segs = segments_of(skb, p);
	struct pf_wire_stats *s = bpf_map_lookup_elem(&wire, &key);
	if (s) {
		if (opening && (!s->from_syn || s->syn_seq != p->seq)) {
			if (s->from_syn) {
				struct pf_wire_gen_key old = {.conn = key, .syn_seq = s->syn_seq};
				bpf_map_update_elem(&wire_retired, &old, s, BPF_ANY);
			}
			s->packets = segs;
			s->syn_seq = p->seq;
			s->ifindex = skb->ifindex;
			s->tcp_flags = flags;
			s->from_syn = 1;
			return;
		}
		if (s->ifindex == skb->ifindex)
			__sync_fetch_and_add(&s->packets, segs);
		/* Written only when something is new: no cache-line bouncing
		 * on the common packet. */
		if ((s->tcp_flags | flags) != s->tcp_flags)
			s->tcp_flags |= flags;
		return;
	}
	struct pf_wire_stats fresh = {
	    .packets = segs,
	    .syn_seq = opening ? p->seq : 0,
	    .ifindex = skb->ifindex,
	    .tcp_flags = flags,
	    .from_syn = opening,
	};
	if (bpf_map_update_elem(&wire, &key, &fresh, BPF_NOEXIST)) {
		/* Another CPU created it first: add to theirs. */
		s = bpf_map_lookup_elem(&wire, &key);
		if (!s) {
			count_drop(PF_DROP_WIRE_MAP_FULL);
			return;
		}
		if (s->ifindex == skb->ifindex)
			__sync_fetch_and_add(&s->packets, segs);
		s->tcp_flags |= flags;
	}
}

#include "payload.bpf.h"

static __always_inline void observe_packet(struct __sk_buff *skb, bool egress)
{
	struct pf_packet p = {};
	if (parse_packet(skb, &p))
		return;
	capture_dns(skb, &p, egress);
	capture_payload(skb, &p, egress);
	if (p.proto == IPPROTO_TCP && ports_wanted(p.sport, p.dport))
		observe_tcp(skb, &p);
}

SEC("tc")
int pf_tc_ingress(struct __sk_buff *skb)
{
	if (skb->ifindex != PF_LOOPBACK_IFINDEX)
		observe_packet(skb, false);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int pf_tc_egress(struct __sk_buff *skb)
{
	observe_packet(skb, true);
	return TC_ACT_UNSPEC;
}

#endif /* PROCFLOW_TC_BPF_H */
