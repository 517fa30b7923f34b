// The hostPID check; see host_proc.h.
#include "util/host_proc.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace procflow {

std::string host_pid_namespace_problem(const std::string& host_proc, const std::string& own_proc) {
  struct stat own = {}, host = {};
  const std::string own_ns = own_proc + "/self/ns/pid";
  const std::string host_ns = host_proc + "/1/ns/pid";
  if (::stat(own_ns.c_str(), &own) != 0)
    return "cannot read " + own_ns + ": " + std::strerror(errno);
  if (::stat(host_ns.c_str(), &host) != 0)
    return "host_proc " + host_proc + " is not a /proc (cannot read " + host_ns + ": " +
           std::strerror(errno) + ")";
  // A namespace is its inode on the nsfs device: both must agree.
  if (own.st_ino != host.st_ino || own.st_dev != host.st_dev)
    return "procflow is not in the host's pid namespace (" + own_ns + " differs from " + host_ns +
           "): the kernel reports host pids, so run it with the host's pid namespace "
           "(Kubernetes: hostPID: true; podman/docker: --pid=host)";
  return "";
}

}  // namespace procflow
