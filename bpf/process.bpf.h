/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process lifecycle: exec, fork and exit feed userspace's process cache, so a
 * process that connects and exits within a millisecond still has its exe and
 * image_path when its flow is emitted — /proc would already be gone.
 *
 * Each event has a tp_btf program (preferred: typed arguments, cheaper) and a
 * classic tracepoint twin; the loader autoloads exactly one of each pair.
 */
#ifndef PROCFLOW_PROCESS_BPF_H
#define PROCFLOW_PROCESS_BPF_H

#include "file_path.bpf.h"
#include "record.bpf.h"

/*
 * A process whose parent lives in another mount namespace has just entered
 * its namespace (a container's first process, `unshare -m`, `ip netns exec`).
 * Everything in such a namespace may be short-lived, and userspace can read
 * the namespace's passwd only through a live member: wake it now instead of
 * at its next 50 ms turn. Cost: one wake-up per namespace entry.
 */
static __always_inline bool entered_mount_namespace(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns) !=
	       BPF_CORE_READ(task, real_parent, nsproxy, mnt_ns);
}

static __always_inline void emit_exec(const char *filename)
{
	struct pf_proc_exec *rec = reserve_record(sizeof(*rec), PF_REC_PROC_EXEC);
	if (!rec)
		return;
	fill_current_task(&rec->task);
	long n = bpf_probe_read_kernel_str(rec->filename, sizeof(rec->filename), filename);
	rec->filename_len = n > 0 ? n : 0;
	/* The new image is mapped by now: mm->exe_file is what /proc/<pid>/exe shows. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u32 flags = 0;
	rec->exe_path_len = file_path(BPF_CORE_READ(task, mm, exe_file), rec->exe_path, &flags);
	rec->exe_flags = flags;
	rec->_pad = 0;
	rec->mnt_event = BPF_CORE_READ(task, nsproxy, mnt_ns, event);
	if (entered_mount_namespace(task))
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	else
		submit_record(rec);
}

static __always_inline void emit_fork(struct task_struct *child)
{
	/* Threads share their process's identity: only new processes matter. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return;
	struct pf_proc_fork *rec = reserve_record(sizeof(*rec), PF_REC_PROC_FORK);
	if (!rec)
		return;
	fill_task_from(&rec->child, child);
	rec->child.cgroup_id = bpf_get_current_cgroup_id();
	submit_record(rec);
}

static __always_inline void emit_exit(void)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((u32)pid_tgid != (u32)(pid_tgid >> 32))
		return; /* a thread, not the process, is leaving */
	struct pf_proc_exit *rec = reserve_record(sizeof(*rec), PF_REC_PROC_EXIT);
	if (!rec)
		return;
	fill_current_task(&rec->task);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	rec->exit_code = BPF_CORE_READ(task, exit_code);
	rec->_pad = 0;
	submit_record(rec);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pf_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	emit_exec(BPF_CORE_READ(bprm, filename));
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int pf_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	/* __data_loc: low 16 bits are the offset of the string in the record. */
	u32 loc = ctx->__data_loc_filename;
	emit_exec((const char *)ctx + (loc & 0xFFFF));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pf_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	emit_fork(child);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int pf_fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	/* The classic tracepoint names the child only by pid: find its task
	 * through the parent's newest child (the fork is not yet visible to
	 * anyone else, and it is linked before this tracepoint fires). */
	struct task_struct *parent = (struct task_struct *)bpf_get_current_task();
	struct list_head *children = &parent->children;
	struct list_head *newest = BPF_CORE_READ(children, prev);
	if (!newest || newest == children)
		return 0;
	struct task_struct *child =
	    (struct task_struct *)((void *)newest -
				   bpf_core_field_offset(struct task_struct, sibling));
	if (BPF_CORE_READ(child, pid) != ctx->child_pid)
		return 0;
	emit_fork(child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pf_exit_btf, struct task_struct *p)
{
	emit_exit();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int pf_exit_tp(void *ctx)
{
	emit_exit();
	return 0;
}

#endif /* PROCFLOW_PROCESS_BPF_H */
