// What /proc tells about a process's place in containers: its pid inside its
// own pid namespace (the NSpid line of /proc/<pid>/status: the pid in each
// namespace from the reader's down to the process's own) and its cgroups
// (/proc/<pid>/cgroup). Read once per process, through one descriptor of its
// /proc directory, after checking the start time: a reused pid is never
// mistaken for the process asked about.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// The pid in the process's own namespace: the last NSpid field when there
// are several (it lives in a namespace below the reader's); nullopt for a
// process of the reader's own namespace or text without a valid NSpid line.
std::optional<uint32_t> inner_pid_from_status(std::string_view status_text);

// The start time (field 22 of /proc/<pid>/stat, clock ticks) in ns; nullopt
// for text the kernel would not write.
std::optional<uint64_t> start_ns_from_stat(std::string_view stat_text);

struct ProcessProcFiles {
  std::string status, cgroup;  // the files' text ("" when not asked for or unreadable)
};

// /proc/<pid>/status, and /proc/<pid>/cgroup when `with_cgroup`, of the
// process (pid, start_boot_ns) under proc_root; nullopt when that process is
// gone (or its pid now belongs to another one).
std::optional<ProcessProcFiles> read_process_files(const std::string& proc_root, uint32_t pid,
                                                   uint64_t start_boot_ns, bool with_cgroup);

}  // namespace procflow
