/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS plaintext from OpenSSL 3 (libssl.so.3): uprobes on SSL_write, SSL_read,
 * SSL_write_ex and SSL_read_ex, one shared uretprobe on all four; and on
 * SSL_do_handshake (the same uretprobe), which only learns the socket.
 *
 *   entry   remembers the call per thread (tls_call.bpf.h): SSL*, buffer,
 *           the _ex byte-count pointer, the direction;
 *   inside  sock_send_length / sock_recv_length note the socket the call
 *           used (socket_use.bpf.h);
 *   return  the bytes the call moved (its result, or *written / *readbytes
 *           of an _ex call that returned 1), and the first of them copied
 *           into a PF_REC_TLS_DATA record.
 *
 * An SSL_read served from a record OpenSSL had already buffered touches no
 * socket: the socket is then the one last seen for that SSL object in that
 * process (ssl_socks). The handshake is what names it first: a TLS 1.3
 * server (nginx) reads the client's Finished and its request in the
 * handshake's last recv, so its first SSL_read is served from the buffer.
 * SSL_accept and SSL_connect end in a call to SSL_do_handshake through the
 * PLT, so its uprobe sees them too.
 *
 * What is copied follows the budget of the TC payload capture: the first
 * payload_bytes of each turn (a turn begins when the direction changes),
 * payload_turns turns per direction and socket, and a per-CPU bound of
 * payload_rate records per second.
 *
 * The programs are attached by userspace to the library file
 * (src/bpf/tls_uprobes.cpp): every process that maps it is covered.
 */
#ifndef PROCFLOW_TLS_BPF_H
#define PROCFLOW_TLS_BPF_H

#include <bpf/bpf_tracing.h>
#include "flow_filter.bpf.h"
#include "record.bpf.h"
#include "tls_call.bpf.h"

#define PF_NSEC_PER_SEC 1000000000ULL

/* The socket an SSL object of a process used last. */
struct pf_ssl_key {
	u64 ssl;
	u32 tgid;
	u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pf_ssl_key);
	__type(value, u64); /* sock_id */
} ssl_socks SEC(".maps");

/* The rate bound: per CPU, so no atomics. credit_ns is a bucket of time:
 * every nanosecond adds one, a record costs 1e9 / payload_rate, and it holds
 * one second at most (a burst of payload_rate records). */
struct pf_tls_rate {
	u64 last_ns;
	u64 credit_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pf_tls_rate);
} tls_rate SEC(".maps");

static __always_inline bool tls_take_token(void)
{
	u64 rate = pf_cfg.payload_rate;
	if (!rate)
		return true; /* no bound set */
	u32 zero = 0;
	struct pf_tls_rate *r = bpf_map_lookup_elem(&tls_rate, &zero);
	if (!r)
		return false;
	u64 now = bpf_ktime_get_ns();
	u64 credit = r->credit_ns + (now - r->last_ns);
	if (credit > PF_NSEC_PER_SEC)
		credit = PF_NSEC_PER_SEC;
	r->last_ns = now;
	u64 cost = PF_NSEC_PER_SEC / rate;
	if (credit < cost) {
		r->credit_ns = credit;
		return false;
	}
	r->credit_ns = credit - cost;
	return true;
}

/* Whether calls of the current thread are traced at all. */
static __always_inline bool ssl_call_wanted(u64 id)
{
	return pf_cfg.payload_bytes && !current_is_self() && pid_wanted(id >> 32);
}

static __always_inline int ssl_enter(struct pt_regs *ctx, u8 direction, bool ex)
{
	u64 id = bpf_get_current_pid_tgid();
	if (!ssl_call_wanted(id))
		return 0;
	struct pf_ssl_call call = {
	    .ssl = (u64)PT_REGS_PARM1(ctx),
	    .buf = (u64)PT_REGS_PARM2(ctx),
	    .len_ptr = ex ? (u64)PT_REGS_PARM4(ctx) : 0,
	    .direction = direction,
	    .ex = ex,
	};
	bpf_map_update_elem(&ssl_calls, &id, &call, BPF_ANY);
	return 0;
}

/* The bytes the call moved; 0: none (an error, WANT_READ, a closed
 * connection) or they cannot be told. */
static __always_inline u64 ssl_bytes_moved(struct pt_regs *ctx, const struct pf_ssl_call *call)
{
	int ret = (int)PT_REGS_RC(ctx);
	if (!call->ex)
		return ret > 0 ? (u64)ret : 0;
	if (ret != 1)
		return 0;
	u64 n = 0; /* size_t */
	if (bpf_probe_read_user(&n, sizeof(n), (const void *)call->len_ptr)) {
		count_drop(PF_DROP_TLS_UNREADABLE);
		return 0;
	}
	return n;
}

/* Learns or recalls the socket of the call's SSL object. */
static __always_inline u64 ssl_socket(const struct pf_ssl_call *call, u32 tgid)
{
	struct pf_ssl_key key = {.ssl = call->ssl, .tgid = tgid};
	u64 *known = bpf_map_lookup_elem(&ssl_socks, &key);
	if (call->sock_id) {
		if (!known || *known != call->sock_id)
			bpf_map_update_elem(&ssl_socks, &key, &call->sock_id, BPF_ANY);
		return call->sock_id;
	}
	return known ? *known : 0;
}

/* --port where it is cheap: the socket is known and its ports readable.
 * Userspace filters the rest. */
static __always_inline bool tls_ports_wanted(u64 sock_id)
{
	if (!pf_cfg.filter_by_port || !sock_id)
		return true;
	const struct sock *sk = (const struct sock *)sock_id;
	return ports_wanted(sock_local_port(sk), sock_remote_port(sk));
}

/*
 * How many bytes of this call may be copied (0: none), and whether they
 * begin a turn. A turn over the rate bound is spent whole: content never
 * starts in the middle of a turn.
 */
static __always_inline u32 tls_budget_take(const struct pf_tls_budget_key *key, u8 dir, u64 moved,
					   bool *turn_start)
{
	struct pf_tls_budget *b = bpf_map_lookup_elem(&tls_budget, key);
	if (!b) {
		struct pf_tls_budget fresh = {.last_dir = 2};
		bpf_map_update_elem(&tls_budget, key, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&tls_budget, key);
		if (!b)
			return 0;
	}
	dir &= 1;
	*turn_start = false;
	if (b->last_dir != dir) {
		b->last_dir = dir;
		b->turn_left = 0;
		u16 max_turns = pf_cfg.payload_turns ? pf_cfg.payload_turns : 1;
		if (b->turns[dir] >= max_turns)
			return 0;
		b->turns[dir]++;
		b->turn_left = pf_cfg.payload_bytes;
		*turn_start = true;
	}
	if (!b->turn_left)
		return 0;
	if (!tls_take_token()) {
		count_drop(PF_DROP_TLS_RATE);
		b->turn_left = 0;
		return 0;
	}
	u32 n = b->turn_left;
	if (moved < n)
		n = (u32)moved;
	if (n > PF_TLS_MAX)
		n = PF_TLS_MAX;
	b->turn_left -= n;
	return n;
}

static __always_inline void emit_tls_data(const struct pf_ssl_call *call, u64 sock_id, u64 moved,
					  u32 n, bool turn_start)
{
	struct pf_tls_data *rec = reserve_record(sizeof(*rec), PF_REC_TLS_DATA);
	if (!rec)
		return;
	/* n is 1..PF_TLS_MAX: copy (n - 1) masked, plus one, so that every
	 * verifier sees a size in 1..PF_TLS_MAX (see capture_dns in tc.bpf.h). */
	u32 k = n - 1;
	asm volatile("" : "+r"(k));
	k &= (PF_TLS_MAX - 1);
	if (bpf_probe_read_user(rec->data, k + 1, (const void *)call->buf)) {
		count_drop(PF_DROP_TLS_UNREADABLE);
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	__builtin_memset(&rec->task, 0, sizeof(rec->task));
	fill_current_task(&rec->task);
	rec->sock_id = sock_id;
	rec->data_len = moved > 0xffffffffULL ? 0xffffffffU : (u32)moved;
	rec->copied = k + 1;
	rec->direction = call->direction;
	rec->turn_start = turn_start;
	submit_record(rec);
}

static __always_inline int ssl_return(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct pf_ssl_call *found = bpf_map_lookup_elem(&ssl_calls, &id);
	if (!found)
		return 0;
	struct pf_ssl_call call = *found;
	bpf_map_delete_elem(&ssl_calls, &id);
	u32 tgid = id >> 32;
	/* Even a call that moved nothing names the SSL object's socket. */
	u64 sock_id = ssl_socket(&call, tgid);
	if (call.handshake)
		return 0; /* its result is no byte count, its bytes no plaintext */
	u64 moved = ssl_bytes_moved(ctx, &call);
	if (!moved || !tls_ports_wanted(sock_id))
		return 0;
	struct pf_tls_budget_key key = {.id = sock_id, .tgid = 0};
	if (!sock_id) {
		key.id = call.ssl;
		key.tgid = tgid;
	}
	bool turn_start = false;
	u32 n = tls_budget_take(&key, call.direction, moved, &turn_start);
	if (n)
		emit_tls_data(&call, sock_id, moved, n, turn_start);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(pf_ssl_write_entry)
{
	return ssl_enter(ctx, PF_TLS_WRITE, false);
}

SEC("uprobe")
int BPF_KPROBE(pf_ssl_write_ex_entry)
{
	return ssl_enter(ctx, PF_TLS_WRITE, true);
}

SEC("uprobe")
int BPF_KPROBE(pf_ssl_read_entry)
{
	return ssl_enter(ctx, PF_TLS_READ, false);
}

SEC("uprobe")
int BPF_KPROBE(pf_ssl_read_ex_entry)
{
	return ssl_enter(ctx, PF_TLS_READ, true);
}

/* Every call of the handshake, blocking or not (WANT_READ), names the
 * socket it read or wrote: the next SSL_read may touch none. */
SEC("uprobe")
int BPF_KPROBE(pf_ssl_handshake_entry)
{
	u64 id = bpf_get_current_pid_tgid();
	if (!ssl_call_wanted(id))
		return 0;
	struct pf_ssl_call call = {.ssl = (u64)PT_REGS_PARM1(ctx), .handshake = 1};
	bpf_map_update_elem(&ssl_calls, &id, &call, BPF_ANY);
	return 0;
}

/* One program for the five returns: the entry said which call it was. */
SEC("uretprobe")
int BPF_KRETPROBE(pf_ssl_return)
{
	return ssl_return(ctx);
}

#endif /* PROCFLOW_TLS_BPF_H */
