// procflow in a container sees the host's processes through a /proc mounted
// from the host (host_proc, e.g. /host/proc). That /proc lists the host's
// pids, and the kernel's records carry the host's pids too, but only a
// tracer in the host's pid namespace (hostPID) can read them as its own:
// /proc/self, and every pid it compares, must mean the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace procflow {

// The inode of the initial pid namespace, fixed by the kernel
// (PROC_PID_INIT_INO in include/linux/proc_ns.h, since 3.8).
inline constexpr uint64_t kInitialPidNamespaceInode = 0xEFFFFFFCu;

// "" when procflow is in the initial pid namespace, else one sentence saying
// to run with hostPID. `status_text` is /proc/self/status, whose NSpid line
// lists procflow's pid in every namespace from that /proc's down to its own;
// `pid_namespace_inode` is the inode of /proc/self/ns/pid (0: unknown).
// Either one shows a child namespace: several NSpid pids (a /proc of a
// parent namespace), or another inode (a container's own /proc, where NSpid
// shows a single pid). Needs no ptrace rights over anything but procflow.
std::string own_pid_namespace_problem(std::string_view status_text, uint64_t pid_namespace_inode);
// The same for this process, from its own /proc.
std::string own_pid_namespace_problem();

// "" when host_proc is a /proc of this process's own pid namespace (it
// names this process by the pid getpid() gives, `own_pid`), else one
// sentence saying to run with hostPID.
std::string host_pid_namespace_problem(const std::string& host_proc, int own_pid);

}  // namespace procflow
