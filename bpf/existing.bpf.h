/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * No blind spot at start: userspace runs this iterator once, after every
 * other program is attached, and it walks every TCP socket of every network
 * namespace (iter/tcp, 5.9+). The kernel walks listening sockets before
 * established ones, so by the time a connection is visited the listeners of
 * its namespace are known and it can tell an accepted connection (its local
 * port is a listener's) from one it opened.
 *
 * Each connection is entered into the flows map, exactly as if procflow had
 * seen it start, so its state changes and its close are traced like any
 * other; each listener into the listeners map, owner unknown until userspace
 * fills it in. A socket already in the flows map (it started between the
 * attach and the walk) is left as it is. One pf_tcp_existing per socket goes
 * to the iterator's output (bpf_seq_write), not the ring: a host with many
 * sockets must not flood the ring at start.
 */
#ifndef PROCFLOW_EXISTING_BPF_H
#define PROCFLOW_EXISTING_BPF_H

#include "tcp.bpf.h"

/* The inode behind a socket's file descriptors: socket:[inode] in /proc. */
static __always_inline u64 socket_inode(const struct sock *sk)
{
	struct socket *so = BPF_CORE_READ(sk, sk_socket);
	if (!so)
		return 0; /* orphaned: no process holds it any more */
	struct socket_alloc *alloc = container_of(so, struct socket_alloc, socket);
	return BPF_CORE_READ(alloc, vfs_inode.i_ino);
}

static __always_inline void existing_listener(const struct sock *sk, struct pf_tcp_existing *rec)
{
	struct pf_listener_key lkey = {
	    .netns = sock_netns(sk),
	    .port = sock_local_port(sk),
	};
	struct pf_task unknown = {};
	/* A listener that started after the attach already has its owner. */
	bpf_map_update_elem(&listeners, &lkey, &unknown, BPF_NOEXIST);
	rec->listening = 1;
}

static __always_inline void existing_connection(const struct sock *sk, int state,
						struct pf_tcp_existing *rec)
{
	struct pf_listener_key lkey = {
	    .netns = sock_netns(sk),
	    .port = sock_local_port(sk),
	};
	u64 key = (u64)sk;
	struct pf_flow_state st = {
	    .start_ns = bpf_ktime_get_boot_ns(),
	    .initiated = bpf_map_lookup_elem(&listeners, &lkey) ? 0 : 1,
	    .implied_flags = PF_TCP_FLAG_SYN | PF_TCP_FLAG_ACK,
	    .established = state != TCP_SYN_SENT,
	    .fin_sent = state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
			state == TCP_LAST_ACK,
	};
	if (state == TCP_SYN_SENT)
		st.implied_flags = PF_TCP_FLAG_SYN;
	if (st.fin_sent || state == TCP_CLOSE_WAIT)
		st.implied_flags |= PF_TCP_FLAG_FIN;
	/* An accepted socket never counted the SYN-ACK its request socket sent. */
	if (!st.initiated)
		st.extra_packets = 1;
	if (bpf_map_update_elem(&flows, &key, &st, BPF_NOEXIST) == 0) {
		rec->tracked = 1;
	} else if (!bpf_map_lookup_elem(&flows, &key)) {
		count_drop(PF_DROP_FLOW_MAP_FULL);
	}
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	read_app_bytes(sk, &st, &rec->app_bytes_in, &rec->app_bytes_out);
	rec->packets = socket_packets(tp, &st);
	rec->syn_seq = connection_syn_seq(sk, &st);
	rec->initiated = st.initiated;
	rec->implied_flags = st.implied_flags;
}

SEC("iter/tcp")
int pf_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0;
	int state = BPF_CORE_READ(skc, skc_state);
	/* Time-wait and request sockets are no full sockets: nothing more will
	 * happen on them that a flow would report. */
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || state == TCP_CLOSE)
		return 0;
	const struct sock *sk = (const struct sock *)skc;
	struct pf_tcp_existing rec = {};
	rec.hdr.kind = PF_REC_TCP_EXISTING;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ktime_ns = bpf_ktime_get_boot_ns();
	rec.sock_id = (u64)sk;
	rec.netns = sock_netns(sk);
	rec.inode = socket_inode(sk);
	rec.uid = ctx->uid;
	rec.state = state;
	read_sock_tuple(sk, &rec.tuple);
	/* Listeners always: they name the owners of accepted connections. */
	if (state != TCP_LISTEN && !ports_wanted(rec.tuple.sport, rec.tuple.dport)) {
		count_filtered();
		return 0;
	}
	if (state == TCP_LISTEN)
		existing_listener(sk, &rec);
	else
		existing_connection(sk, state, &rec);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

#endif /* PROCFLOW_EXISTING_BPF_H */
