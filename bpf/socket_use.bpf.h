/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sock:sock_send_length / sock_recv_length (6.3+): every sendmsg/recvmsg on
 * a socket, in the caller's context, with the socket and the byte count.
 * For TCP they say who uses a socket now (accept fallback, fd passing); for
 * UDP they count each datagram of a flow. Inside an OpenSSL call they tell
 * the TLS uprobes which socket the call used (tls_call.bpf.h).
 */
#ifndef PROCFLOW_SOCKET_USE_BPF_H
#define PROCFLOW_SOCKET_USE_BPF_H

#include "tcp.bpf.h"
#include "tls_call.bpf.h"
#include "udp.bpf.h"

static __always_inline void on_msg_length(struct trace_event_raw_sock_msg_length *ctx, bool sending)
{
	if (ctx->family != AF_INET && ctx->family != AF_INET6)
		return;
	if (ctx->protocol == IPPROTO_TCP) {
		on_owner_seen(ctx->sk, PF_OWNER_SENDRECV, PF_HOOK_SOCK_LENGTH_TP);
		/* Any result, errors included: a non-blocking SSL_read that
		 * found nothing still names the SSL object's socket. */
		tls_note_socket(ctx->sk);
	} else if (ctx->protocol == IPPROTO_UDP && pf_cfg.udp_enabled) {
		/* ret 0 is a real, empty datagram for UDP; a peek is no receive */
		if (ctx->ret >= 0 && !(ctx->flags & PF_MSG_PEEK))
			on_udp_datagram(ctx->sk, ctx->ret, sending);
	}
}

SEC("tracepoint/sock/sock_send_length")
int pf_send_length_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	on_msg_length(ctx, true);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int pf_recv_length_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	on_msg_length(ctx, false);
	return 0;
}

#endif /* PROCFLOW_SOCKET_USE_BPF_H */
