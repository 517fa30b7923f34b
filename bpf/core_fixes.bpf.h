/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel drift in one place: every "this field moved or was renamed in kernel
 * X" shim procflow needs, as CO-RE flavours plus bpf_core_field_exists, so the
 * one object loads on every kernel from 5.8 up. Never branch on kernel
 * versions; ask BTF.
 */
#ifndef PROCFLOW_CORE_FIXES_BPF_H
#define PROCFLOW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* v5.5 (cf25e24db61c "time: Rename tsk->real_start_time to ->start_boottime") */
struct task_struct___pre_5_5 {
	u64 real_start_time;
} __attribute__((preserve_access_index));

static __always_inline u64 task_start_boottime(struct task_struct *task)
{
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	struct task_struct___pre_5_5 *old = (void *)task;
	return BPF_CORE_READ(old, real_start_time);
}

/* v4.19 (ba113a94b750 "tcp: add tcp_sock.bytes_sent"): absent before. */
static __always_inline u64 tcp_bytes_sent(struct tcp_sock *tp)
{
	if (bpf_core_field_exists(tp->bytes_sent))
		return BPF_CORE_READ(tp, bytes_sent);
	return 0;
}

#endif /* PROCFLOW_CORE_FIXES_BPF_H */
