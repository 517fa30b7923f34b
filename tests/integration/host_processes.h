// The host's processes as /proc counts them, for bounds on what procflow may
// still cache about processes: how many live, how many the kernel created
// since boot (/proc/stat "processes", threads included), and which mount
// namespaces exist.
#pragma once

#include <cstdint>
#include <set>

namespace procflow_it {

struct ProcessCount {
  int64_t live = 0;     // thread-group leaders in /proc
  int64_t created = 0;  // forks and clones since boot
};
ProcessCount count_processes();

// Inodes of the mount namespaces of every live process.
std::set<uint64_t> live_mount_namespaces();
// Live processes whose mount namespace is not `mntns` (an inode).
int64_t processes_outside_mount_namespace(uint64_t mntns);

}  // namespace procflow_it
