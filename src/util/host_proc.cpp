// The hostPID check; see host_proc.h.
#include "util/host_proc.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace procflow {

std::string host_pid_namespace_problem(const std::string& host_proc, int own_pid) {
  // A /proc names its reader by the pid the reader has in that /proc's pid
  // namespace: the same number as getpid() only when it is procflow's own.
  // (Comparing the namespaces' links of pid 1 would need ptrace rights over
  // an init that may be non-dumpable; this needs none.)
  char link[64];
  const std::string self = host_proc + "/self";
  const ssize_t n = ::readlink(self.c_str(), link, sizeof link - 1);
  if (n <= 0)
    return "host_proc " + host_proc + " is not a /proc of a pid namespace procflow is in (" + self +
           ": " + std::strerror(errno) +
           "); mount the host's /proc there and run with the host's pid namespace "
           "(Kubernetes: hostPID: true; podman/docker: --pid=host)";
  const std::string seen(link, static_cast<size_t>(n));
  if (seen != std::to_string(own_pid))
    return "procflow is not in the host's pid namespace (it is pid " + seen + " in " + host_proc +
           " and pid " + std::to_string(own_pid) +
           " in its own): the kernel reports host pids, so run it with the host's pid "
           "namespace (Kubernetes: hostPID: true; podman/docker: --pid=host)";
  return "";
}

}  // namespace procflow
