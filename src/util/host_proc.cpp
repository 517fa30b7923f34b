// The hostPID checks; see host_proc.h.
#include "util/host_proc.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "util/nspid.h"

namespace procflow {
namespace {

constexpr std::string_view kAdvice =
    "run it with the host's pid namespace (Kubernetes: hostPID: true; podman/docker: --pid=host)";

}  // namespace

std::string own_pid_namespace_problem(std::string_view status_text, uint64_t pid_namespace_inode) {
  const std::vector<uint32_t> pids = nspid_of(status_text);
  if (pids.size() > 1)
    return "procflow is not in the host's pid namespace (it is pid " +
           std::to_string(pids.front()) + " in the pid namespace of /proc and pid " +
           std::to_string(pids.back()) + " in its own): the kernel reports host pids, so " +
           std::string(kAdvice);
  if (pid_namespace_inode != 0 && pid_namespace_inode != kInitialPidNamespaceInode)
    return "procflow is not in the host's pid namespace (its pid namespace is pid:[" +
           std::to_string(pid_namespace_inode) + "], the host's pid:[" +
           std::to_string(kInitialPidNamespaceInode) + "]): the kernel reports host pids, so " +
           std::string(kAdvice);
  return "";
}

std::string own_pid_namespace_problem() {
  std::ifstream in("/proc/self/status");
  std::stringstream status;
  status << in.rdbuf();
  struct stat st = {};
  const uint64_t inode = ::stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;
  return own_pid_namespace_problem(status.str(), inode);
}

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
           ": " + std::strerror(errno) + "); mount the host's /proc there and " +
           std::string(kAdvice);
  const std::string seen(link, static_cast<size_t>(n));
  if (seen != std::to_string(own_pid))
    return "procflow is not in the host's pid namespace (it is pid " + seen + " in " + host_proc +
           " and pid " + std::to_string(own_pid) +
           " in its own): the kernel reports host pids, so " + std::string(kAdvice);
  return "";
}

}  // namespace procflow
