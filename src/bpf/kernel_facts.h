// Facts about the running kernel and this process's privileges that decide
// whether procflow can run at all, gathered once at start-up. Hook-level
// questions ("does fentry work?") are answered by trying, in hook_prober.
#pragma once

#include <string>

namespace procflow {

struct KernelFacts {
  std::string release;                   // uname -r
  bool btf = false;                      // /sys/kernel/btf/vmlinux: CO-RE needs it
  bool ringbuf = false;                  // BPF_MAP_TYPE_RINGBUF (5.8+)
  std::string tracefs;                   // mount point, "" when none could be mounted
  std::string cgroup_v2;                 // cgroup2 mount point, "" when none
  bool cgroup_v1 = false;                // v1 hierarchies are mounted (a hybrid or legacy host)
  bool sock_length_tracepoints = false;  // sock:sock_{send,recv}_length (6.3+)
  bool syscall_tracepoints = false;      // syscalls:sys_exit_accept4
};

// Mounts tracefs at /sys/kernel/tracing when no tracefs is mounted (classic
// tracepoints are attached through it). Needs privileges; harmless if present.
KernelFacts detect_kernel_facts();

// "" when this process may load tracing and networking BPF programs; else one
// sentence naming what is missing and what to do.
std::string missing_privileges();

// "" when the kernel can run procflow; else one sentence saying what is missing.
std::string kernel_unsupported_reason(const KernelFacts& facts);

}  // namespace procflow
