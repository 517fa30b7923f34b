// Who a pid is: image path, exe and parent, kept current by the kernel's
// exec/fork/exit records so that a process that connects and exits within a
// millisecond is still known when its flow is emitted. /proc is read only on
// a miss (processes that predate procflow) and never again for that process.
//
// Processes are identified by (tgid, start time): pids are reused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "procflow_abi.h"

namespace procflow {

struct ProcessEntry {
  uint64_t start_boot_ns = 0;  // CLOCK_BOOTTIME ns; 0 = unknown
  bool coarse_start = false;   // from /proc (clock ticks), not from the kernel record
  uint32_t ppid = 0;
  std::string image_path;     // absolute, as the process sees it; "" = unknown
  std::string exe;            // basename of image_path
  uint64_t exited_at_ns = 0;  // when its exit was seen; 0 = running
};

class ProcessCache {
 public:
  explicit ProcessCache(std::string proc_root = "/proc");

  // kernel_path: the image as the kernel resolved it (pf_proc_exec.exe_path);
  // when empty, the execve() filename is resolved through /proc instead.
  void on_exec(const pf_task& task, std::string_view filename, std::string_view kernel_path = {});
  void on_fork(const pf_task& child);
  void on_exit(const pf_task& task, uint64_t now_ns);

  // The process (tgid, start_boot_ns). Falls back to /proc, then to the
  // parent (a forked child that never exec'd runs its parent's image).
  // nullptr when nothing is known.
  const ProcessEntry* find(uint32_t tgid, uint64_t start_boot_ns, uint32_t ppid);

  // Reads every process in /proc (at start-up).
  void scan_proc();
  // Forgets processes that exited more than keep_ns ago.
  void expire(uint64_t now_ns, uint64_t keep_ns);

  size_t size() const { return entries_.size(); }
  uint64_t proc_reads() const { return proc_reads_; }

  static std::string_view basename(std::string_view path);
  static bool same_start(const ProcessEntry& e, uint64_t start_boot_ns);

 private:
  bool read_proc(uint32_t tgid, ProcessEntry* out);
  std::string resolve_image_path(uint32_t tgid, std::string_view filename);

  std::string proc_root_;
  std::unordered_map<uint32_t, ProcessEntry> entries_;
  // (tgid, start) pairs /proc could not name (gone, or a kernel thread with
  // no image): asked once, not on every event of their flows. Bounded.
  std::unordered_set<uint64_t> unresolvable_;
  uint64_t proc_reads_ = 0;
};

}  // namespace procflow
