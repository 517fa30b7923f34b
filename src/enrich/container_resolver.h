// The container and pod of a socket's owner: container id and runtime from
// its cgroup path (the cgroup v2 id the kernel sends, resolved once per
// cgroup; the v1 hierarchies of /proc/<pid>/cgroup where the v2 path says
// nothing), pod names from the pod log directory, the pid inside the
// container from /proc/<pid>/status. docs/events.md#containers-and-pods.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "enrich/cgroup_directory.h"
#include "enrich/container_cgroup.h"
#include "enrich/pod_log_directory.h"
#include "enrich/program_start.h"

namespace procflow {

struct ContainerView {
  ContainerRef container;  // container_id "" = not in a container
  std::string pod_name, pod_namespace, container_name;
  std::optional<uint32_t> container_pid;  // the pid in its own pid namespace
};

struct ContainerResolverOptions {
  std::string cgroup_v2_mount;  // "" = no cgroup v2: /proc/<pid>/cgroup only
  bool cgroup_v1 = false;       // v1 hierarchies are mounted: worth a look when v2 says nothing
  std::string proc_root = "/proc";
  std::string pod_log_dir = "/var/log/pods";
};

class ContainerResolver {
 public:
  explicit ContainerResolver(ContainerResolverOptions options);

  // The owner (pid, start) whose record said cgroup_id and, when the kernel
  // knew it, ns_pid (its pid in its own pid namespace; 0: unknown or the
  // initial namespace). Reads /proc at most once per process, and not at all
  // for the pid when the kernel gave it; the cgroup tree once per cgroup, the
  // pod directory once per pod.
  ContainerView resolve(uint32_t pid, uint64_t start_boot_ns, uint64_t cgroup_id,
                        uint32_t ns_pid = 0);

  // Processes procflow stopped keeping (their /proc facts go too).
  void forget_processes(const std::vector<GoneProcess>& gone);
  // cgroups and pods that were removed.
  void forget_removed();

  size_t cgroups_cached() const { return cgroups_.cached(); }
  size_t processes_cached() const { return processes_.size(); }
  size_t pods_cached() const { return pods_.cached(); }
  // cgroup id look-ups: answered from memory / went to the cgroup tree.
  uint64_t cgroup_hits() const { return cgroup_hits_; }
  uint64_t cgroup_misses() const { return cgroup_misses_; }

 private:
  struct ProcessFacts {
    uint64_t start_boot_ns = 0;
    std::optional<uint32_t> container_pid;
    std::optional<ContainerRef> from_proc_cgroup;  // asked only where v2 says nothing
    // /proc/<pid>/cgroup was asked for: facts first read without it (the v2
    // path named the container) are read again when a later record needs it.
    bool cgroup_read = false;
  };
  const ProcessFacts& facts_of(uint32_t pid, uint64_t start_boot_ns, bool with_cgroup);
  std::optional<ContainerRef> by_cgroup_id(uint64_t cgroup_id);

  ContainerResolverOptions options_;
  CgroupDirectory cgroups_;
  PodLogDirectory pods_;
  // What each cgroup's path says, by cgroup id (nullopt: no container).
  std::unordered_map<uint64_t, std::optional<ContainerRef>> by_cgroup_;
  std::unordered_map<uint32_t, ProcessFacts> processes_;
  uint64_t own_pid_namespace_ = 0;  // inode of procflow's pid namespace; 0 = unknown
  uint64_t cgroup_hits_ = 0;
  uint64_t cgroup_misses_ = 0;
};

}  // namespace procflow
