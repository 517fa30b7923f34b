/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * UDP flows with process attribution.
 *
 * A UDP flow is one local socket and one peer; an unconnected socket talking
 * to many peers has one flow per peer. Every datagram is accounted where it
 * is sent or received, in the caller's process context:
 *
 *   sock:sock_send_length / sock_recv_length (6.3+) give the socket and the
 *   exact payload length, but not the peer of an unconnected socket. That
 *   peer comes from the cgroup sock_addr hooks on the cgroup v2 root, which
 *   run inside the same sendmsg()/recvmsg() call just before: sendmsg4/6 see
 *   the destination, recvmsg4/6 the source. They leave it in udp_peer_pending
 *   (keyed by thread, checked by socket cookie) for the length tracepoint.
 *   Connected sockets need no hook: the peer is the socket's own daddr.
 *
 * The first datagram of a flow emits PF_REC_UDP_START with the owner task;
 * counters live in udp_flows, read by userspace in batches. A released
 * socket (cgroup sock_release) emits PF_REC_UDP_RELEASE; idle flows are
 * ended by userspace.
 *
 * The cgroup programs only observe: they always return 1 (allow).
 */
#ifndef PROCFLOW_UDP_BPF_H
#define PROCFLOW_UDP_BPF_H

#include "flow_filter.bpf.h"
#include "record.bpf.h"
#include "wire_key.bpf.h"

#define PF_MSG_PEEK 2

struct pf_udp_pending {
	u64 cookie; /* the socket the peer belongs to */
	u8 addr[16];
	u16 port;
	u8 family;
	u8 _pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32); /* thread id */
	__type(value, struct pf_udp_pending);
} udp_peer_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pf_udp_key);
	__type(value, struct pf_udp_stats);
} udp_flows SEC(".maps");

/* ---- cgroup sock_addr: the peer of an unconnected socket ---- */

static __always_inline void remember_peer(struct bpf_sock_addr *ctx, struct pf_udp_pending *p)
{
	p->cookie = bpf_get_socket_cookie(ctx);
	p->port = bpf_ntohs((u16)ctx->user_port);
	u32 tid = (u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&udp_peer_pending, &tid, p, BPF_ANY);
}

/* The 4 and 6 programs may each only read their own address fields. */
static __always_inline void remember_peer4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return;
	struct pf_udp_pending p = {.family = 4};
	u32 ip4 = ctx->user_ip4;
	__builtin_memcpy(p.addr, &ip4, 4);
	remember_peer(ctx, &p);
}

static __always_inline void remember_peer6(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return;
	struct pf_udp_pending p = {.family = 6};
	u32 ip6[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
	__builtin_memcpy(p.addr, ip6, 16);
	remember_peer(ctx, &p);
}

SEC("cgroup/sendmsg4")
int pf_udp_sendmsg4(struct bpf_sock_addr *ctx)
{
	remember_peer4(ctx);
	return 1;
}

SEC("cgroup/sendmsg6")
int pf_udp_sendmsg6(struct bpf_sock_addr *ctx)
{
	remember_peer6(ctx);
	return 1;
}

SEC("cgroup/recvmsg4")
int pf_udp_recvmsg4(struct bpf_sock_addr *ctx)
{
	remember_peer4(ctx);
	return 1;
}

SEC("cgroup/recvmsg6")
int pf_udp_recvmsg6(struct bpf_sock_addr *ctx)
{
	remember_peer6(ctx);
	return 1;
}

SEC("cgroup/sock_release")
int pf_udp_release(struct bpf_sock *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return 1;
	struct pf_udp_release *rec = reserve_record(sizeof(*rec), PF_REC_UDP_RELEASE);
	if (!rec)
		return 1;
	/* In cgroup sock programs the context is the kernel socket itself. */
	rec->sock_id = (u64)ctx;
	submit_record(rec);
	return 1;
}

/* ---- the datagram itself, in process context ---- */

/* The peer of this datagram: the pending one from the cgroup hook when it
 * belongs to this socket, else the connected peer. */
static __always_inline bool datagram_peer(const struct sock *sk, struct pf_udp_key *key)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct pf_udp_pending *p = bpf_map_lookup_elem(&udp_peer_pending, &tid);
	if (p) {
		u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		bool mine = p->cookie == cookie;
		if (mine) {
			__builtin_memcpy(key->peer_addr, p->addr, 16);
			key->peer_port = p->port;
			key->family = p->family;
		}
		bpf_map_delete_elem(&udp_peer_pending, &tid);
		if (mine)
			return true;
	}
	struct pf_tuple t = {};
	read_sock_tuple(sk, &t);
	if (t.dport == 0)
		return false; /* unconnected, and no hook told us the peer */
	__builtin_memcpy(key->peer_addr, t.daddr, 16);
	key->peer_port = t.dport;
	key->family = t.family;
	return true;
}

/* A dual-stack socket (an IPv6 socket without IPV6_V6ONLY) talks to IPv4
 * peers through IPv4-mapped addresses, and the kernel hands the same peer
 * over as family 6 on one path (recvmsg6, the connected daddr) and family 4
 * on another (sendmsg to a mapped address runs the IPv4 hook). One peer must
 * be one key, as on the wire: mapped addresses become family 4. */
static __always_inline void normalize_peer(struct pf_udp_key *key)
{
	if (key->family != 6 || !is_v4_mapped(key->peer_addr))
		return;
	key->family = 4;
	__builtin_memcpy(key->peer_addr, key->peer_addr + 12, 4);
	__builtin_memset(key->peer_addr + 4, 0, 12);
}

static __always_inline void emit_udp_start(const struct sock *sk, const struct pf_udp_key *key,
					   bool sending, u64 first_ns)
{
	struct pf_udp_start *rec = reserve_record(sizeof(*rec), PF_REC_UDP_START);
	if (!rec)
		return;
	/* The flow starts at its first datagram, the time its counters carry
	 * as last_ns until the next one: an idle end can never precede it. */
	rec->hdr.ktime_ns = first_ns;
	rec->key = *key;
	rec->netns = sock_netns(sk);
	__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
	read_sock_tuple(sk, &rec->tuple); /* local -> connected peer (or none) */
	rec->tuple.proto = IPPROTO_UDP;
	__builtin_memcpy(rec->tuple.daddr, key->peer_addr, 16);
	rec->tuple.dport = key->peer_port;
	if (key->family == 4 && rec->tuple.family == 6) {
		/* An IPv6 socket sending to an IPv4 peer speaks IPv4-mapped. */
		rec->tuple.family = 4;
		__builtin_memcpy(rec->tuple.saddr, &rec->tuple.saddr[12], 4);
		__builtin_memset(&rec->tuple.saddr[4], 0, 12);
	}
	if (!sending)
		swap_tuple(&rec->tuple);
	fill_current_task(&rec->owner);
	rec->initiated = sending ? 1 : 0;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit_record(rec);
}

static __always_inline void on_udp_datagram(const struct sock *sk, int len, bool sending)
{
	if (current_is_self())
		return; /* procflow's own PTR look-ups would feed themselves */
	struct pf_udp_key key = {.sock_id = (u64)sk};
	if (!datagram_peer(sk, &key)) {
		count_drop(PF_DROP_UDP_UNKNOWN_PEER);
		return;
	}
	normalize_peer(&key);
	u16 local_port = sock_local_port(sk);
	if (!pid_or_dns_wanted(bpf_get_current_pid_tgid() >> 32, local_port, key.peer_port) ||
	    !ports_wanted(local_port, key.peer_port)) {
		count_filtered();
		return;
	}
	u64 now = bpf_ktime_get_boot_ns();
	struct pf_udp_stats *s = bpf_map_lookup_elem(&udp_flows, &key);
	if (!s) {
		/* last_ns is set from the start: an idle sweep between the insert
		 * and the first add must not see a flow idle since boot. */
		struct pf_udp_stats fresh = {.last_ns = now};
		if (bpf_map_update_elem(&udp_flows, &key, &fresh, BPF_NOEXIST) == 0)
			emit_udp_start(sk, &key, sending, now);
		s = bpf_map_lookup_elem(&udp_flows, &key);
		if (!s) {
			count_drop(PF_DROP_UDP_MAP_FULL);
			return;
		}
	}
	if (sending) {
		__sync_fetch_and_add(&s->bytes_out, len);
		__sync_fetch_and_add(&s->dgrams_out, 1);
	} else {
		__sync_fetch_and_add(&s->bytes_in, len);
		__sync_fetch_and_add(&s->dgrams_in, 1);
	}
	s->last_ns = now;
}

#endif /* PROCFLOW_UDP_BPF_H */
