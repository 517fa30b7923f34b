// The network namespaces of this host, found through the processes that live
// in them, and a way to run a piece of work inside one: some kernel
// interfaces (a BPF socket iterator) answer only for the namespace of the
// thread that asks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace procflow {

struct NetNamespace {
  uint64_t inode = 0;  // what /proc/<pid>/ns/net links to: net:[inode]
  uint32_t pid = 0;    // a process in it, to enter it through
};

// One entry per namespace that has a process, procflow's own first.
std::vector<NetNamespace> list_net_namespaces(const std::string& proc_root = "/proc");

// Runs `work` on a thread of its own that has joined the namespace of `pid`
// (setns), so the caller's threads never change namespace. False, with
// error, if the namespace could not be entered (the process is gone).
bool run_in_net_namespace(uint32_t pid, const std::function<void()>& work, std::string* error,
                          const std::string& proc_root = "/proc");

}  // namespace procflow
