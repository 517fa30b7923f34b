/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Building records: reserving ring-buffer space (counting every failure),
 * filling the common header, describing the current task and a socket's
 * tuple. No string work beyond the fixed-size comm copy.
 */
#ifndef PROCFLOW_RECORD_BPF_H
#define PROCFLOW_RECORD_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "procflow_abi.h"

#define AF_INET 2
#define AF_INET6 10

/* Past this much unread data the consumer is woken at once; below it, it
 * drains on its own timer, so ordinary records cost no wake-up. */
#define PF_WAKEUP_THRESHOLD (256 << 10)

const volatile struct pf_config pf_cfg = {};

static __always_inline void *reserve_record(u32 size, u16 kind)
{
	struct pf_header *hdr = bpf_ringbuf_reserve(&events, size, 0);
	if (!hdr) {
		count_drop(PF_DROP_RINGBUF_RESERVE);
		count_drop(PF_DROP_RING_BY_KIND +
			   (kind & (PF_DROP_SLOTS - PF_DROP_RING_BY_KIND - 1)));
		return NULL;
	}
	hdr->kind = kind;
	hdr->size = size;
	hdr->_pad = 0;
	hdr->ktime_ns = bpf_ktime_get_boot_ns();
	return hdr;
}

static __always_inline void submit_record(void *record)
{
	u64 flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > PF_WAKEUP_THRESHOLD)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(record, flags);
}

/* The process's pid as its own (innermost) pid namespace numbers it: read
 * here, while the task exists, because a short-lived container process is
 * often gone before userspace could read NSpid from /proc. 0 at level 0
 * (the initial namespace: no container pid). */
static __always_inline __u32 task_ns_tgid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	if (!pid)
		return 0;
	unsigned int level = BPF_CORE_READ(pid, level);
	if (level == 0)
		return 0;
	/* numbers[level].nr: numbers is a trailing array, so its element is
	 * addressed by offsets CO-RE relocates, then read. */
	const char *upid = (const char *)pid + bpf_core_field_offset(struct pid, numbers) +
			   (__u64)level * bpf_core_type_size(struct upid);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), upid + bpf_core_field_offset(struct upid, nr));
	return nr > 0 ? (__u32)nr : 0;
}

static __always_inline void fill_task_from(struct pf_task *out, struct task_struct *task)
{
	out->tgid = BPF_CORE_READ(task, tgid);
	out->tid = BPF_CORE_READ(task, pid);
	out->ppid = BPF_CORE_READ(task, real_parent, tgid);
	out->uid = BPF_CORE_READ(task, cred, uid.val);
	out->gid = BPF_CORE_READ(task, cred, gid.val);
	out->start_boot_ns = task_start_boottime(BPF_CORE_READ(task, group_leader));
	out->ns_tgid = task_ns_tgid(task);
	out->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	bpf_probe_read_kernel_str(out->comm, sizeof(out->comm),
				  BPF_CORE_READ(task, group_leader, comm));
}

/* The task running now. Only meaningful in process context. */
static __always_inline void fill_current_task(struct pf_task *out)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_task_from(out, task);
	out->cgroup_id = bpf_get_current_cgroup_id();
}

static __always_inline bool current_is_self(void)
{
	return pf_cfg.self_tgid && (bpf_get_current_pid_tgid() >> 32) == pf_cfg.self_tgid;
}

static __always_inline u64 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The local port. Not skc_num: the state tracepoint fires at the end of
 * tcp_set_state(), after TCP_CLOSE has released the port (skc_num = 0), while
 * inet_sport keeps it.
 */
static __always_inline u16 sock_local_port(const struct sock *sk)
{
	const struct inet_sock *inet = (const struct inet_sock *)sk;
	return bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
}

static __always_inline u16 sock_remote_port(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/*
 * The socket's tuple as local -> remote. Callers swap it for accepted
 * connections so that the record is initiator -> responder.
 */
static __always_inline void read_sock_tuple(const struct sock *sk, struct pf_tuple *t)
{
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->proto = IPPROTO_TCP;
	t->sport = sock_local_port(sk);
	t->dport = sock_remote_port(sk);
	if (family == AF_INET) {
		t->family = 4;
		bpf_core_read(t->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		t->family = 6;
		bpf_core_read(t->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* Swaps two endpoints (16-byte address and port) in place: a tuple turned
 * around, or a key put in canonical order. */
static __always_inline void swap_endpoints(u8 *addr_a, u16 *port_a, u8 *addr_b, u16 *port_b)
{
	u8 tmp[16];
	__builtin_memcpy(tmp, addr_a, 16);
	__builtin_memcpy(addr_a, addr_b, 16);
	__builtin_memcpy(addr_b, tmp, 16);
	u16 port = *port_a;
	*port_a = *port_b;
	*port_b = port;
}

static __always_inline void swap_tuple(struct pf_tuple *t)
{
	swap_endpoints(t->saddr, &t->sport, t->daddr, &t->dport);
}

#endif /* PROCFLOW_RECORD_BPF_H */
