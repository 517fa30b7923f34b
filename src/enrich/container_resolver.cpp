// Container and pod of a process; see container_resolver.h.
#include "enrich/container_resolver.h"

#include <sys/stat.h>

#include "enrich/process_pid_namespace.h"

namespace procflow {
namespace {

// Processes whose exit procflow never sees (no exit hook) must not grow the
// table without bound: past this it starts over (a re-read per process).
constexpr size_t kMaxProcesses = 65536;

}  // namespace

ContainerResolver::ContainerResolver(ContainerResolverOptions options)
    : options_(std::move(options)),
      cgroups_(options_.cgroup_v2_mount),
      pods_(options_.pod_log_dir) {
  struct stat st = {};
  // procflow's own pid namespace, seen through its own /proc.
  if (::stat("/proc/self/ns/pid", &st) == 0) own_pid_namespace_ = st.st_ino;
}

std::optional<ContainerRef> ContainerResolver::by_cgroup_id(uint64_t cgroup_id) {
  if (auto it = by_cgroup_.find(cgroup_id); it != by_cgroup_.end()) {
    cgroup_hits_++;
    return it->second;
  }
  cgroup_misses_++;
  const std::optional<std::string> path = cgroups_.path_of(cgroup_id);
  if (!path) return std::nullopt;  // not cached: a cgroup not found yet may appear
  auto ref = container_from_cgroup_path(*path);
  by_cgroup_.emplace(cgroup_id, ref);
  return ref;
}

const ContainerResolver::ProcessFacts& ContainerResolver::facts_of(uint32_t pid,
                                                                   uint64_t start_boot_ns,
                                                                   bool with_cgroup) {
  auto it = processes_.find(pid);
  if (it != processes_.end() && it->second.start_boot_ns == start_boot_ns &&
      (it->second.cgroup_read || !with_cgroup))
    return it->second;
  if (processes_.size() >= kMaxProcesses) processes_.clear();
  ProcessFacts facts;
  facts.start_boot_ns = start_boot_ns;
  facts.cgroup_read = with_cgroup;  // tried once per process, whatever it found
  // Most processes share procflow's pid namespace and, on a pure cgroup v2
  // host, need nothing else: one stat instead of reading two files.
  if (!with_cgroup && own_pid_namespace_) {
    struct stat st = {};
    const std::string ns = options_.proc_root + "/" + std::to_string(pid) + "/ns/pid";
    if (::stat(ns.c_str(), &st) != 0 || st.st_ino == own_pid_namespace_)
      return processes_[pid] = std::move(facts);
  }
  if (auto files = read_process_files(options_.proc_root, pid, start_boot_ns, with_cgroup)) {
    facts.container_pid = inner_pid_from_status(files->status);
    if (with_cgroup) facts.from_proc_cgroup = container_from_proc_cgroup(files->cgroup);
  }
  return processes_[pid] = std::move(facts);
}

ContainerView ContainerResolver::resolve(uint32_t pid, uint64_t start_boot_ns, uint64_t cgroup_id,
                                         uint32_t ns_pid) {
  ContainerView view;
  std::optional<ContainerRef> ref = by_cgroup_id(cgroup_id);
  // A runtime that made only v1 cgroups (runc on a hybrid host) leaves the
  // v2 path at the root: the process's own v1 lines may still name it.
  // An owner found by the start-up walk of /proc (no record) has no cgroup id.
  const bool ask_proc =
      !ref && (cgroup_id == 0 || options_.cgroup_v1 || options_.cgroup_v2_mount.empty());
  if (ns_pid != 0) {
    // The kernel's answer, read from the task while it lived: it also holds
    // for a process gone before /proc could be read.
    view.container_pid = ns_pid;
  }
  if (pid != 0 && (ns_pid == 0 || ask_proc)) {
    const ProcessFacts& facts = facts_of(pid, start_boot_ns, ask_proc);
    if (ns_pid == 0) view.container_pid = facts.container_pid;
    if (!ref) ref = facts.from_proc_cgroup;
  }
  if (!ref) return view;
  view.container = std::move(*ref);
  if (const PodNames* pod = pods_.pod(view.container.pod_uid)) {
    view.pod_name = pod->pod_name;
    view.pod_namespace = pod->pod_namespace;
    view.container_name = pods_.container_name(view.container.pod_uid, view.container.container_id);
  }
  return view;
}

void ContainerResolver::forget_processes(const std::vector<GoneProcess>& gone) {
  for (const GoneProcess& p : gone) {
    auto it = processes_.find(p.pid);
    // Only the process that exited, not a younger one with its pid.
    if (it != processes_.end() && it->second.start_boot_ns <= p.exited_ns) processes_.erase(it);
  }
}

void ContainerResolver::forget_removed() {
  cgroups_.forget_removed();
  // What a cgroup id said goes with the cgroup (ids are not reused while
  // the system runs, but the table must not grow with every cgroup ever made).
  std::erase_if(by_cgroup_, [&](const auto& entry) { return !cgroups_.known(entry.first); });
  pods_.forget_removed();
}

}  // namespace procflow
