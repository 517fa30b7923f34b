// Least privilege: once the programs are attached, a tracer keeps only the
// capabilities the rest of the run needs (docs/deployment.md#capabilities):
//   CAP_BPF, CAP_PERFMON     map reads, the shutdown snapshot (bpf syscalls)
//   CAP_NET_ADMIN            TC programs on interfaces that appear later
//   CAP_SYS_PTRACE           /proc/PID/exe and /proc/PID/root of other users' processes
//   CAP_DAC_READ_SEARCH      passwd files under other mount namespaces' roots
//   CAP_SYS_ADMIN            only on kernels without CAP_BPF (before 5.8), where
//                            every bpf syscall needs it
// Everything else goes from the effective, permitted, inheritable and
// ambient sets, and from the bounding set when allowed, so nothing can
// regain it. Threads that write outputs need none and drop all.
#pragma once

#include <string>
#include <vector>

namespace procflow {

// The capabilities above, as numbers, for this kernel.
std::vector<int> capabilities_after_start();

// Keeps only `keep` (of what this thread has). Capabilities are per thread:
// call it on the thread that goes on, before it starts others. On success
// `kept` names what stayed ("cap_bpf, cap_net_admin").
bool keep_only_capabilities(const std::vector<int>& keep, std::string* kept, std::string* error);

// For a thread that needs no privilege at all (an output's writer).
void drop_all_capabilities_of_this_thread();

}  // namespace procflow
