/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An OpenSSL call in progress, per thread: what SSL_write/SSL_read (and their
 * _ex forms) were given at entry, or that it is SSL_do_handshake, and the
 * socket the call moved bytes on;
 * and the capture budget of each socket, forgotten when the socket closes.
 *
 * Split from tls.bpf.h because the send/recv tracepoints (socket_use.bpf.h)
 * write into it: they fire inside the call, in the same thread, and are the
 * only place that knows which socket an SSL object uses without reading
 * OpenSSL's private structures; and the TCP close (tcp.bpf.h) ends budgets.
 */
#ifndef PROCFLOW_TLS_CALL_BPF_H
#define PROCFLOW_TLS_CALL_BPF_H

#include "record.bpf.h"

/* Set by the loader when the uprobes are attached: without them the map
 * below is always empty and the tracepoints skip the look-up. */
const volatile bool pf_tls_enabled = false;

struct pf_ssl_call {
	u64 ssl;      /* the SSL* the call was made on */
	u64 buf;      /* the caller's plaintext buffer */
	u64 len_ptr;  /* _ex: the size_t * the call writes the byte count to */
	u64 sock_id;  /* the first TCP socket the call sent or received on; 0: none */
	u8 direction; /* enum pf_tls_direction */
	u8 ex;	      /* 1: SSL_write_ex / SSL_read_ex (result 1 = success) */
	u8 handshake; /* 1: SSL_do_handshake: only its socket is wanted */
	u8 _pad[5];
};

/* One entry per thread inside a call. LRU: a thread that dies (or a
 * uretprobe that never fires: longjmp out of OpenSSL) leaves an entry the
 * map forgets on its own. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, u64); /* pid_tgid */
	__type(value, struct pf_ssl_call);
} ssl_calls SEC(".maps");

/* The budget of one conversation: keyed by its socket, or, while the socket
 * is unknown, by the SSL object of its process (tgid != 0 tells which). */
struct pf_tls_budget_key {
	u64 id;
	u32 tgid;
	u32 _pad;
};

struct pf_tls_budget {
	u32 turn_left; /* bytes the current turn may still copy */
	u16 turns[2];  /* turns begun per direction */
	u8 last_dir;   /* the direction of the last call; 2: none yet */
	u8 _pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pf_tls_budget_key);
	__type(value, struct pf_tls_budget);
} tls_budget SEC(".maps");

/* A TCP socket was used by the current thread: if the thread is inside an
 * OpenSSL call, that call moves its bytes on this socket. */
static __always_inline void tls_note_socket(const void *sk)
{
	if (!pf_tls_enabled)
		return;
	u64 id = bpf_get_current_pid_tgid();
	struct pf_ssl_call *call = bpf_map_lookup_elem(&ssl_calls, &id);
	if (call && !call->sock_id)
		call->sock_id = (u64)sk;
}

/* A TCP socket closed: its address may come back as a new socket, which
 * must start with a whole budget. */
static __always_inline void tls_forget_socket(u64 sock_id)
{
	if (!pf_tls_enabled)
		return;
	struct pf_tls_budget_key key = {.id = sock_id, .tgid = 0};
	bpf_map_delete_elem(&tls_budget, &key);
}

#endif /* PROCFLOW_TLS_CALL_BPF_H */
