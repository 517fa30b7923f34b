// Who holds a socket, for the sockets that existed before procflow started:
// no kernel hook saw their owner act, so the owner is found the way ss -p
// does it, by the socket's inode among the processes' file descriptors
// (/proc/<pid>/fd/N -> socket:[inode]), once, at start. The owner is then
// described as a kernel record would (pf_task), from /proc: its cgroup id is
// the inode of its cgroup v2 directory (what bpf_get_current_cgroup_id()
// returns), found through the cgroup2 mount.
//
// A socket held by several processes (inherited across fork) is given to
// the lowest pid: a guess, replaced as soon as a process uses the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "procflow_abi.h"

namespace procflow {

class SocketOwners {
 public:
  // Scans every process's descriptors under proc_root. `cgroup_mount`: the
  // cgroup2 mount point ("" when none: cgroup_id stays 0).
  static SocketOwners scan(const std::string& proc_root = "/proc",
                           const std::string& cgroup_mount = "");

  // The process holding socket `inode`, described from /proc; nullopt when
  // no process holds it (orphaned) or it is gone already.
  std::optional<pf_task> owner_of(uint64_t inode) const;

  size_t sockets() const { return pid_by_inode_.size(); }

  // "socket:[12345]" -> 12345; 0 for anything else.
  static uint64_t socket_inode_of_link(std::string_view link);
  // A pf_task for `pid` from /proc/<pid>/{stat,status,ns/mnt,cgroup}; nullopt
  // if gone.
  static std::optional<pf_task> task_of(const std::string& proc_root, uint32_t pid,
                                        const std::string& cgroup_mount = "");

  // The cgroup v2 path of /proc/<pid>/cgroup's text (the "0::PATH" line);
  // nullopt when there is none (a cgroup v1 only host) or it lies outside
  // procflow's cgroup namespace.
  static std::optional<std::string_view> cgroup_v2_path(std::string_view proc_cgroup);

 private:
  std::string proc_root_;
  std::string cgroup_mount_;
  std::unordered_map<uint64_t, uint32_t> pid_by_inode_;
};

}  // namespace procflow
