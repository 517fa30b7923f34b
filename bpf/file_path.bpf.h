/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The absolute path of an open file, as the process that has it sees it: the
 * dentry chain is walked up to the root of the task's mount tree, crossing
 * mount points. This is how an exec record names the image that really runs
 * (symlinks resolved, script interpreters included, container paths as the
 * container sees them) even when the process is gone before userspace reads
 * /proc. bpf_d_path would do this, but only fentry/LSM programs may call it.
 *
 * It also says what d_path() would say about the file (enum pf_image_flag):
 *   - a file on no mounted filesystem (memfd_create) has a pseudo dentry that
 *     is its own parent: d_path() asks the filesystem, which names it
 *     "/memfd:NAME (deleted)". Walking it like a path would give "/";
 *   - an unlinked or replaced file keeps its old name, and d_path() adds
 *     " (deleted)";
 *   - a path longer than PF_EXE_PATH_LEN - 1 or deeper than PF_PATH_DEPTH
 *     keeps its last components (so its basename stays right) and is flagged
 *     truncated, never passed off as whole.
 *
 * The path is built backwards in a per-CPU scratch buffer twice the output
 * size, so that every (masked offset + masked length) the verifier sees stays
 * inside it. Only fields every kernel since 5.8 has are read.
 */
#ifndef PROCFLOW_FILE_PATH_BPF_H
#define PROCFLOW_FILE_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "procflow_abi.h"

#define PF_PATH_DEPTH 48
#define PF_PATH_MASK (PF_EXE_PATH_LEN - 1)
#define PF_NAME_MASK 255

struct pf_path_scratch {
	char buf[PF_EXE_PATH_LEN * 2];
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

enum pf_prepend {
	PF_PREPEND_OK,
	PF_PREPEND_NO_ROOM, /* the rest of the path is cut off here */
	PF_PREPEND_BAD_NAME,
};

/* Puts "/" and the dentry's name in front of what s already holds. */
static __always_inline int prepend_name(struct pf_path_scratch *s, struct dentry *dentry)
{
	u32 len = BPF_CORE_READ(dentry, d_name.len);
	u32 pos = s->pos;

	if (len == 0 || len > PF_NAME_MASK)
		return PF_PREPEND_BAD_NAME;
	if (len + 1 > pos || pos > PF_PATH_MASK)
		return PF_PREPEND_NO_ROOM;
	pos -= len;
	bpf_probe_read_kernel(&s->buf[pos & PF_PATH_MASK], len & PF_NAME_MASK,
			      BPF_CORE_READ(dentry, d_name.name));
	pos -= 1;
	s->buf[pos & PF_PATH_MASK] = '/';
	s->pos = pos;
	return PF_PREPEND_OK;
}

/* d_unlinked(): no longer in the dentry hash but not a root. This is what
 * makes d_path() append " (deleted)". */
static __always_inline bool dentry_unlinked(struct dentry *dentry)
{
	return !BPF_CORE_READ(dentry, d_hash.pprev) && BPF_CORE_READ(dentry, d_parent) != dentry;
}

/* A pseudo dentry (alloc_file_pseudo: memfd_create, hugetlbfs memfds) is its
 * own parent without being the root of its mount: there is no path to walk. */
static __always_inline bool dentry_anonymous(struct dentry *dentry, struct vfsmount *vfsmnt)
{
	return BPF_CORE_READ(dentry, d_parent) == dentry &&
	       BPF_CORE_READ(vfsmnt, mnt_root) != dentry;
}

/* Copies the finished path to out; returns its size with the NUL. */
static __always_inline u32 path_copy_out(struct pf_path_scratch *s, char *out)
{
	u32 pos = s->pos & PF_PATH_MASK;
	if (pos == PF_EXE_PATH_LEN - 1) { /* the root itself */
		pos -= 1;
		s->buf[pos] = '/';
	}
	/* A constant-size copy keeps the verifier's bounds simple; what follows
	 * the NUL in out is scratch space the reader ignores (it stops at size). */
	bpf_probe_read_kernel(out, PF_EXE_PATH_LEN, &s->buf[pos & PF_PATH_MASK]);
	return PF_EXE_PATH_LEN - pos;
}

/* Writes the NUL-terminated path of file into out (PF_EXE_PATH_LEN bytes)
 * and what else the kernel knows about it into *flags (enum pf_image_flag).
 * Returns the path's size with the NUL, or 0 when it could not be resolved. */
static __always_inline u32 file_path(struct file *file, char *out, u32 *flags)
{
	u32 zero = 0;
	struct pf_path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);

	*flags = 0;
	if (!s || !file)
		return 0;
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	bool complete = false;

	if (!dentry || !vfsmnt)
		return 0;
	/* i_nlink == 0 as well: a file unlinked by every name it had. */
	if (dentry_unlinked(dentry) || BPF_CORE_READ(file, f_inode, i_nlink) == 0)
		*flags |= PF_IMAGE_DELETED;
	s->pos = PF_EXE_PATH_LEN - 1;
	s->buf[PF_EXE_PATH_LEN - 1] = '\0';

	if (dentry_anonymous(dentry, vfsmnt)) {
		/* As simple_dname() shows it, " (deleted)" included. */
		*flags |= PF_IMAGE_ANONYMOUS | PF_IMAGE_DELETED;
		if (prepend_name(s, dentry) != PF_PREPEND_OK)
			return 0;
		return path_copy_out(s, out);
	}

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
		int r = prepend_name(s, dentry);
		if (r == PF_PREPEND_BAD_NAME)
			return 0;
		if (r == PF_PREPEND_NO_ROOM)
			break;
		dentry = parent;
	}
	if (!complete) {
		/* Too long or too deep: the tail is still the right image. */
		if (s->pos >= PF_EXE_PATH_LEN - 1)
			return 0;
		*flags |= PF_IMAGE_TRUNCATED;
	}
	return path_copy_out(s, out);
}

#endif /* PROCFLOW_FILE_PATH_BPF_H */
