// Who holds a socket, for the sockets that existed before procflow started:
// no kernel hook saw their owner act, so the owner is found the way ss -p
// does it, by the socket's inode among the processes' file descriptors
// (/proc/<pid>/fd/N -> socket:[inode]), once, at start. The owner is then
// described as a kernel record would (pf_task), from /proc.
//
// A socket held by several processes (inherited across fork) is given to
// the lowest pid: a guess, replaced as soon as a process uses the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "procflow_abi.h"

namespace procflow {

class SocketOwners {
 public:
  // Scans every process's descriptors under proc_root.
  static SocketOwners scan(const std::string& proc_root = "/proc");

  // The process holding socket `inode`, described from /proc; nullopt when
  // no process holds it (orphaned) or it is gone already.
  std::optional<pf_task> owner_of(uint64_t inode) const;

  size_t sockets() const { return pid_by_inode_.size(); }

  // "socket:[12345]" -> 12345; 0 for anything else.
  static uint64_t socket_inode_of_link(std::string_view link);
  // A pf_task for `pid` from /proc/<pid>/{stat,status,ns/mnt}; nullopt if gone.
  static std::optional<pf_task> task_of(const std::string& proc_root, uint32_t pid);

 private:
  std::string proc_root_;
  std::unordered_map<uint64_t, uint32_t> pid_by_inode_;
};

}  // namespace procflow
