/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP socket lifecycle.
 *
 * A flow is keyed by its socket's kernel address from the moment it starts
 * (connect, or the accepted child reaching ESTABLISHED) until TCP_CLOSE, where
 * the socket's own counters (bytes_received, bytes_acked, segs_in/out) are read
 * and the entry is deleted. Addresses are never reused before that CLOSE.
 *
 * Who owns a socket is only trusted in process context:
 *   - outbound: inside connect() (fentry/kprobe on tcp_connect, else the
 *     CLOSE -> SYN_SENT transition, which runs in connect() too but before the
 *     source port is chosen — userspace waits for the port);
 *   - inbound: the SYN_RECV -> ESTABLISHED transition runs in softirq and is
 *     charged to whatever task is current (on loopback, the client!), so the
 *     owner comes from accept() returning the socket (fexit, kretprobe, or the
 *     accept syscall's exit tracepoint), then from the first send/recv on it,
 *     and until then from the process that called listen().
 */
#ifndef PROCFLOW_TCP_BPF_H
#define PROCFLOW_TCP_BPF_H

#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "flow_filter.bpf.h"
#include "record.bpf.h"
#include "tls_call.bpf.h"

#define PF_ECONNREFUSED 111
#define PF_ECONNRESET 104
#define PF_EPIPE 32

#define PF_TCP_FLAG_FIN 0x01
#define PF_TCP_FLAG_SYN 0x02
#define PF_TCP_FLAG_RST 0x04
#define PF_TCP_FLAG_ACK 0x10

static __always_inline u8 state_implied_flags(int newstate)
{
	switch (newstate) {
	case TCP_ESTABLISHED:
		return PF_TCP_FLAG_SYN | PF_TCP_FLAG_ACK;
	case TCP_FIN_WAIT1:  /* we sent FIN */
	case TCP_LAST_ACK:   /* we sent FIN after the peer's */
	case TCP_CLOSE_WAIT: /* the peer sent FIN */
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
		return PF_TCP_FLAG_FIN;
	}
	return 0;
}

/*
 * Application bytes in and out of a socket. tcp_sock counts sequence space:
 * bytes_received includes the peer's FIN, bytes_acked includes our FIN once
 * acknowledged and, for the side that connected, our SYN. Each is taken off
 * when it happened, so the counts equal what the applications sent:
 *   - the peer's FIN: tcp_fin() sets SOCK_DONE before any close;
 *   - our FIN: queued once FIN_WAIT1/LAST_ACK was entered, and acknowledged
 *     when snd_una has caught up with write_seq;
 *   - our SYN: acknowledged by the SYN-ACK of an established outbound flow.
 */
static __always_inline void read_app_bytes(const struct sock *sk, const struct pf_flow_state *st,
					   u64 *in, u64 *out)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	u64 received = BPF_CORE_READ(tp, bytes_received);
	u64 acked = BPF_CORE_READ(tp, bytes_acked);
	unsigned long sk_flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	if ((sk_flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))) && received)
		received--;
	if (st->initiated && st->established && acked)
		acked--;
	if (st->fin_sent && acked && BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		acked--;
	*in = received;
	*out = acked;
}

/* The current task's exec generation: an exec keeps the pid but runs another
 * image, so the socket's owner must be looked at again. */
static __always_inline u32 current_exec_id(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return (u32)BPF_CORE_READ(task, self_exec_id);
}

/* The initiator's initial sequence number, which tags the connection's TC
 * entry. The socket's counters give it back at any time: snd_una started at
 * our ISN and bytes_acked counts every advance; rcv_nxt started one past the
 * peer's ISN and bytes_received counts every advance. */
static __always_inline u32 connection_syn_seq(const struct sock *sk, const struct pf_flow_state *st)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	if (st->initiated)
		return BPF_CORE_READ(tp, snd_una) - (u32)BPF_CORE_READ(tp, bytes_acked);
	return BPF_CORE_READ(tp, rcv_nxt) - (u32)BPF_CORE_READ(tp, bytes_received) - 1;
}

/* The socket's own count of the connection's segments, both ways (one per
 * segment, a GSO/GRO super-packet as the segments it carries), plus those it
 * never counts (pf_flow_state.extra_packets). */
static __always_inline u64 socket_packets(struct tcp_sock *tp, const struct pf_flow_state *st)
{
	return (u64)BPF_CORE_READ(tp, segs_in) + BPF_CORE_READ(tp, segs_out) + st->extra_packets;
}

static __always_inline void emit_start(const struct sock *sk, struct pf_flow_state *st,
				       struct pf_task *owner, u8 hook)
{
	struct pf_tcp_start *rec = reserve_record(sizeof(*rec), PF_REC_TCP_START);
	if (!rec)
		return;
	rec->sock_id = (u64)sk;
	rec->netns = sock_netns(sk);
	__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
	read_sock_tuple(sk, &rec->tuple);
	if (!st->initiated)
		swap_tuple(&rec->tuple);
	if (owner)
		rec->owner = *owner;
	else
		__builtin_memset(&rec->owner, 0, sizeof(rec->owner));
	rec->initiated = st->initiated;
	rec->owner_source = st->owner_source;
	rec->hook = hook;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit_record(rec);
}

/* Outbound: the current task is connecting sk. */
static __always_inline void on_connect(const struct sock *sk, u8 hook)
{
	if (current_is_self())
		return;
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u16 sport = sock_local_port(sk), dport = sock_remote_port(sk);
	/* The SYN_SENT tracepoint runs before the source port is chosen: such a
	 * connect cannot be decided on ports here and is left to userspace. */
	if (!pid_or_dns_wanted(tgid, sport, dport) || (sport && !ports_wanted(sport, dport))) {
		count_filtered();
		return;
	}
	u64 key = (u64)sk;
	struct pf_flow_state st = {
	    .start_ns = bpf_ktime_get_boot_ns(),
	    .owner_tgid = tgid,
	    .owner_exec_id = current_exec_id(),
	    .initiated = 1,
	    .implied_flags = PF_TCP_FLAG_SYN,
	    .owner_source = PF_OWNER_CONNECT,
	};
	if (bpf_map_update_elem(&flows, &key, &st, BPF_ANY)) {
		count_drop(PF_DROP_FLOW_MAP_FULL);
		return;
	}
	struct pf_task owner = {};
	fill_current_task(&owner);
	emit_start(sk, &st, &owner, hook);
}

/* Inbound: an accepted child socket completed its handshake (softirq). */
static __always_inline void on_passive_established(const struct sock *sk, u8 hook)
{
	/* Both ports are known; the accepting process is not yet (--pid is
	 * left to userspace). */
	if (!ports_wanted(sock_local_port(sk), sock_remote_port(sk))) {
		count_filtered();
		return;
	}
	u64 key = (u64)sk;
	struct pf_listener_key lkey = {
	    .netns = sock_netns(sk),
	    .port = sock_local_port(sk),
	};
	struct pf_task *listener = bpf_map_lookup_elem(&listeners, &lkey);
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct pf_flow_state st = {
	    .start_ns = bpf_ktime_get_boot_ns(),
	    .owner_tgid = listener ? listener->tgid : 0,
	    /* The SYN-ACK(s) went out from the request socket, which this socket
	     * replaced: segs_out never counted them. The child inherits the
	     * request's retransmissions as total_retrans (and the SYN as
	     * segs_in = 1). */
	    .extra_packets = 1 + BPF_CORE_READ(tp, total_retrans),
	    .initiated = 0,
	    .implied_flags = PF_TCP_FLAG_SYN | PF_TCP_FLAG_ACK,
	    .established = 1,
	    .owner_source = listener ? PF_OWNER_LISTENER : PF_OWNER_NONE,
	};
	if (bpf_map_update_elem(&flows, &key, &st, BPF_ANY)) {
		count_drop(PF_DROP_FLOW_MAP_FULL);
		return;
	}
	emit_start(sk, &st, listener, hook);
}

/* The current task acted on sk (accept, send, recv): it owns the flow now. */
static __always_inline void on_owner_seen(const struct sock *sk, u8 source, u8 hook)
{
	u64 key = (u64)sk;
	struct pf_flow_state *st = bpf_map_lookup_elem(&flows, &key);
	if (!st)
		return;
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u32 exec_id = current_exec_id();
	if (st->owner_tgid == tgid && st->owner_exec_id == exec_id &&
	    st->owner_source <= PF_OWNER_SENDRECV)
		return; /* the common case: nothing changed, no record */
	/* Reserve before changing the state: a record that cannot be sent
	 * leaves the old owner in place, so the next use tries again. */
	struct pf_tcp_owner *rec = reserve_record(sizeof(*rec), PF_REC_TCP_OWNER);
	if (!rec)
		return;
	st->owner_tgid = tgid;
	st->owner_exec_id = exec_id;
	st->owner_source = source;
	rec->sock_id = key;
	fill_current_task(&rec->owner);
	rec->owner_source = source;
	rec->hook = hook;
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	submit_record(rec);
}

static __always_inline u8 close_cause(u32 sk_err, int oldstate, u8 implied_flags)
{
	if (sk_err == PF_ECONNRESET || sk_err == PF_ECONNREFUSED || sk_err == PF_EPIPE)
		return PF_CLOSE_RESET;
	if (implied_flags & PF_TCP_FLAG_RST)
		return PF_CLOSE_RESET; /* the socket itself sent an RST before closing */
	if (sk_err)
		return PF_CLOSE_TIMEOUT; /* ETIMEDOUT, EHOSTUNREACH, ...: the peer never answered */
	/* Straight from a data state to CLOSE without FIN exchange: an abortive
	 * close (unread data, SO_LINGER 0), which sends RST. */
	if (oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT || oldstate == TCP_SYN_RECV)
		return PF_CLOSE_RESET;
	return PF_CLOSE_NORMAL;
}

static __always_inline void on_close(const struct sock *sk, int oldstate)
{
	u64 key = (u64)sk;
	tls_forget_socket(key); /* also for sockets the flows map does not follow */
	struct pf_flow_state *st = bpf_map_lookup_elem(&flows, &key);
	if (!st)
		return;
	struct pf_tcp_end *rec = reserve_record(sizeof(*rec), PF_REC_TCP_END);
	if (!rec) {
		bpf_map_delete_elem(&flows, &key);
		return;
	}
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	rec->sock_id = key;
	rec->netns = sock_netns(sk);
	__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
	read_sock_tuple(sk, &rec->tuple);
	if (!st->initiated)
		swap_tuple(&rec->tuple);
	read_app_bytes(sk, st, &rec->app_bytes_in, &rec->app_bytes_out);
	rec->bytes_sent = tcp_bytes_sent(tp);
	rec->packets = socket_packets(tp, st);
	rec->sk_err = BPF_CORE_READ(sk, sk_err);
	rec->syn_seq = connection_syn_seq(sk, st);
	rec->close_cause = close_cause(rec->sk_err, oldstate, st->implied_flags);
	rec->implied_flags = st->implied_flags;
	if (rec->close_cause == PF_CLOSE_RESET)
		rec->implied_flags |= PF_TCP_FLAG_RST;
	if (oldstate == TCP_FIN_WAIT2)
		rec->implied_flags |= PF_TCP_FLAG_FIN; /* the peer's FIN moved us on */
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	rec->last_state = oldstate;
	rec->established = st->established;
	submit_record(rec);
	bpf_map_delete_elem(&flows, &key);
}

static __always_inline void on_tcp_state(const struct sock *sk, int oldstate, int newstate, u8 hook)
{
	if (newstate == TCP_LISTEN) {
		struct pf_listener_key lkey = {
		    .netns = sock_netns(sk),
		    .port = sock_local_port(sk),
		};
		struct pf_task owner = {};
		fill_current_task(&owner); /* listen() runs in the owner's context */
		if (bpf_map_update_elem(&listeners, &lkey, &owner, BPF_ANY))
			count_drop(PF_DROP_LISTENER_MAP_FULL);
		return;
	}
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE) {
		struct pf_listener_key lkey = {
		    .netns = sock_netns(sk),
		    .port = sock_local_port(sk),
		};
		bpf_map_delete_elem(&listeners, &lkey);
		return;
	}
	if (oldstate == TCP_LISTEN)
		return; /* a child cloned from a listener starts with the listener's state */
	if (newstate == TCP_SYN_SENT) {
		if (pf_cfg.connect_by_tracepoint)
			on_connect(sk, hook);
		return;
	}
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		on_passive_established(sk, hook);
		return;
	}
	if (newstate == TCP_CLOSE) {
		on_close(sk, oldstate);
		return;
	}
	u64 key = (u64)sk;
	struct pf_flow_state *st = bpf_map_lookup_elem(&flows, &key);
	if (!st)
		return;
	st->implied_flags |= state_implied_flags(newstate);
	if (newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK)
		st->fin_sent = 1;
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		st->established = 1;
		struct pf_tcp_established *rec =
		    reserve_record(sizeof(*rec), PF_REC_TCP_ESTABLISHED);
		if (!rec)
			return;
		rec->sock_id = key;
		__builtin_memset(&rec->tuple, 0, sizeof(rec->tuple));
		read_sock_tuple(sk, &rec->tuple);
		submit_record(rec);
	}
}

/* ---- state changes: tp_btf preferred, classic tracepoint fallback ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(pf_state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	on_tcp_state(sk, oldstate, newstate, PF_HOOK_TP_BTF);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int pf_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	on_tcp_state(ctx->skaddr, ctx->oldstate, ctx->newstate, PF_HOOK_TRACEPOINT);
	return 0;
}

/* ---- outbound connect: fentry, kprobe; else the SYN_SENT transition ---- */

SEC("fentry/tcp_connect")
int BPF_PROG(pf_connect_fentry, struct sock *sk)
{
	on_connect(sk, PF_HOOK_FENTRY);
	return 0;
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(pf_connect_kprobe, struct sock *sk)
{
	on_connect(sk, PF_HOOK_KPROBE);
	return 0;
}

/* ---- accept: fexit, kretprobe, the syscall's exit tracepoint ---- */

SEC("fexit/inet_csk_accept")
int BPF_PROG(pf_accept_fexit)
{
	u64 ret = 0;
	/* The signature changed in 6.10 (the err argument went away): reading the
	 * return value this way works for both. */
	bpf_get_func_ret(ctx, &ret);
	if (ret)
		on_owner_seen((const struct sock *)ret, PF_OWNER_ACCEPT, PF_HOOK_FENTRY);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(pf_accept_kretprobe, struct sock *sk)
{
	if (sk)
		on_owner_seen(sk, PF_OWNER_ACCEPT, PF_HOOK_KPROBE);
	return 0;
}

/* Layout of syscalls/sys_exit_* records (not a vmlinux type: no CO-RE). */
struct pf_sys_exit_args {
	u64 common;
	long syscall_nr;
	long ret;
};

/* The socket behind file descriptor fd of the current task, or NULL. A
 * descriptor that is no socket yields garbage that matches no flow key. */
static __always_inline const struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline void on_accept_syscall_exit(struct pf_sys_exit_args *ctx)
{
	const struct sock *sk = sock_of_fd(ctx->ret);
	if (sk)
		on_owner_seen(sk, PF_OWNER_ACCEPT, PF_HOOK_SYSCALL_TP);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int pf_accept4_exit_tp(struct pf_sys_exit_args *ctx)
{
	on_accept_syscall_exit(ctx);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int pf_accept_exit_tp(struct pf_sys_exit_args *ctx)
{
	on_accept_syscall_exit(ctx);
	return 0;
}

/* ---- RSTs the kernel sends for a socket: tp_btf, tracepoint ---- */

/*
 * skb is the segment an RST answers when the kernel's control socket sends
 * it (tcp_v4_send_reset: never in the socket's segs_out), NULL when the
 * socket sends it itself (tcp_send_active_reset: counted in segs_out). An
 * abortive close (SO_LINGER 0, unread data) sends its RST right after
 * TCP_CLOSE, when the flow's TCP_END is already out: PF_REC_TCP_RESET tells
 * userspace, which holds each end briefly for it.
 */
static __always_inline void on_reset_sent(const struct sock *sk, const void *skb)
{
	if (!sk)
		return;
	u64 key = (u64)sk;
	struct pf_flow_state *st = bpf_map_lookup_elem(&flows, &key);
	if (st) {
		st->implied_flags |= PF_TCP_FLAG_RST;
		if (skb)
			st->extra_packets += 1;
		return;
	}
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_CLOSE)
		return; /* a listener or a socket procflow does not follow */
	struct pf_tcp_reset *rec = reserve_record(sizeof(*rec), PF_REC_TCP_RESET);
	if (!rec)
		return;
	rec->sock_id = key;
	submit_record(rec);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(pf_reset_btf, const struct sock *sk, const struct sk_buff *skb)
{
	on_reset_sent(sk, skb);
	return 0;
}

/* The classic record of tcp:tcp_send_reset starts the same way on every
 * kernel since 4.15 (the struct was renamed in 6.10, the layout kept). */
struct pf_send_reset_args {
	u64 common;
	const void *skbaddr;
	const void *skaddr;
};

SEC("tracepoint/tcp/tcp_send_reset")
int pf_reset_tp(struct pf_send_reset_args *ctx)
{
	on_reset_sent(ctx->skaddr, ctx->skbaddr);
	return 0;
}

/* ---- first (and every) send/recv, in the caller's context (6.3+) ---- */

/* ---- snapshot of every open flow, on userspace's request ---- */

static long snapshot_one(struct bpf_map *map, u64 *key, struct pf_flow_state *st, void *unused)
{
	const struct sock *sk = (const struct sock *)*key;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct pf_tcp_snapshot *rec = reserve_record(sizeof(*rec), PF_REC_TCP_SNAPSHOT);
	if (!rec)
		return 0; /* counted; keep going */
	rec->sock_id = *key;
	read_app_bytes(sk, st, &rec->app_bytes_in, &rec->app_bytes_out);
	rec->packets = socket_packets(tp, st);
	rec->syn_seq = connection_syn_seq(sk, st);
	rec->implied_flags = st->implied_flags;
	rec->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__builtin_memset(rec->_pad, 0, sizeof(rec->_pad));
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/* Never attached: userspace runs it with BPF_PROG_TEST_RUN (raw_tp supports
 * that since 5.10) so flows still open at shutdown end with real counters. */
SEC("raw_tp/pf_snapshot")
int pf_snapshot(void *ctx)
{
	bpf_for_each_map_elem(&flows, snapshot_one, NULL, 0);
	return 0;
}

#endif /* PROCFLOW_TCP_BPF_H */
