// procflow in a container sees the host's processes through a /proc mounted
// from the host (host_proc, e.g. /host/proc). That /proc lists the host's
// pids, and the kernel's records carry the host's pids too, but only a
// tracer in the host's pid namespace (hostPID) can read them as its own:
// /proc/self, and every pid it compares, must mean the same thing.
#pragma once

#include <string>

namespace procflow {

// "" when host_proc is a /proc of this process's own pid namespace (it
// names this process by the pid getpid() gives, `own_pid`), else one
// sentence saying to run with hostPID.
std::string host_pid_namespace_problem(const std::string& host_proc, int own_pid);

}  // namespace procflow
