/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The absolute path of an open file, as the process that has it sees it: the
 * dentry chain is walked up to the root of the task's mount tree, crossing
 * mount points. This is how an exec record names the image that really runs
 * (symlinks resolved, script interpreters included, container paths as the
 * container sees them) even when the process is gone before userspace reads
 * /proc. bpf_d_path would do this, but only fentry/LSM programs may call it.
 *
 * The path is built backwards in a per-CPU scratch buffer twice the output
 * size, so that every (masked offset + masked length) the verifier sees stays
 * inside it. Paths deeper than PF_PATH_DEPTH components or longer than
 * PF_PATH_LEN are reported as failures, never truncated silently.
 */
#ifndef PROCFLOW_FILE_PATH_BPF_H
#define PROCFLOW_FILE_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "procflow_abi.h"

#define PF_PATH_DEPTH 24
#define PF_PATH_MASK (PF_PATH_LEN - 1)
#define PF_NAME_MASK 255

struct pf_path_scratch {
	char buf[PF_PATH_LEN * 2];
	/* Kept here, not in a register: a value re-read from memory is "any
	 * scalar" to the verifier, so the loop's states converge instead of
	 * multiplying by every possible position. */
	u32 pos;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pf_path_scratch);
} path_scratch SEC(".maps");

/* Writes the NUL-terminated path of file into out (PF_PATH_LEN bytes).
 * Returns its length with the NUL, or 0 when it could not be resolved. */
static __always_inline u32 file_path(struct file *file, char *out)
{
	u32 zero = 0;
	struct pf_path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!s || !file)
		return 0;
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	bool complete = false;

	s->pos = PF_PATH_LEN - 1;
	s->buf[PF_PATH_LEN - 1] = '\0';
	for (int i = 0; i < PF_PATH_DEPTH; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == mnt_root || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (dentry != mnt_root || mnt_parent == mnt) {
				complete = true; /* the root of the task's mount tree */
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = &mnt->mnt;
			continue;
		}
		u32 len = BPF_CORE_READ(dentry, d_name.len);
		u32 pos = s->pos;
		if (len == 0 || len > PF_NAME_MASK || len + 1 > pos || pos > PF_PATH_MASK)
			return 0;
		pos -= len;
		bpf_probe_read_kernel(&s->buf[pos & PF_PATH_MASK], len & PF_NAME_MASK,
				      BPF_CORE_READ(dentry, d_name.name));
		pos -= 1;
		s->buf[pos & PF_PATH_MASK] = '/';
		s->pos = pos;
		dentry = parent;
	}
	if (!complete)
		return 0;
	u32 pos = s->pos & PF_PATH_MASK;
	if (pos == PF_PATH_LEN - 1) { /* the root itself */
		pos -= 1;
		s->buf[pos] = '/';
	}
	u32 size = PF_PATH_LEN - pos;
	/* A constant-size copy keeps the verifier's bounds simple; what follows
	 * the NUL in out is scratch space the reader ignores (it stops at size). */
	bpf_probe_read_kernel(out, PF_PATH_LEN, &s->buf[pos & PF_PATH_MASK]);
	return size;
}

#endif /* PROCFLOW_FILE_PATH_BPF_H */
