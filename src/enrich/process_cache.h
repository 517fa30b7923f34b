// Who a pid is: image path, exe and parent, kept current by the kernel's
// exec/fork/exit records so that a process that connects and exits within a
// millisecond is still known when its flow is emitted. /proc is read only on
// a miss (processes that predate procflow) and never again for that process.
//
// Processes are identified by (tgid, start time): pids are reused. An answer
// is always about the process asked for, never its parent's or a former
// holder of its pid: unknown is reported as unknown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "enrich/process_image.h"
#include "enrich/program_start.h"
#include "procflow_abi.h"

namespace procflow {

struct ProcessEntry {
  uint64_t start_boot_ns = 0;  // CLOCK_BOOTTIME ns; 0 = unknown
  bool coarse_start = false;   // from /proc (clock ticks), not from the kernel record
  uint32_t ppid = 0;
  ProcessImage image;  // what it runs; image.path "" = unknown
  std::string exe;     // image.exe(): the file name, right even for a truncated path
  // When the current program began: the exec record's, or the process start
  // (no mount sequence) for entries from /proc and fork records.
  ProgramStart program;
  uint64_t exited_at_ns = 0;  // when its exit was seen; 0 = running
};

// What an exec record says besides the task.
struct ExecDetails {
  std::string_view kernel_path;  // pf_proc_exec.exe_path; "" = the kernel did not resolve it
  uint32_t kernel_flags = 0;     // enum pf_image_flag
  bool filename_cut = false;     // the execve() path filled its buffer: maybe cut off
  ProgramStart program;          // boot_ns 0: unknown (the process start stands in)
};

// The exec record's details, strings bounded by their buffers.
ExecDetails exec_details(const pf_proc_exec& record);
std::string_view exec_filename(const pf_proc_exec& record);

class ProcessCache {
 public:
  explicit ProcessCache(std::string proc_root = "/proc");

  void on_exec(const pf_proc_exec& record);
  // The same from its parts. Without a kernel path the image comes from
  // /proc/<pid>/exe while the process lives, else from the execve() filename.
  void on_exec(const pf_task& task, std::string_view filename, const ExecDetails& exec = {});
  // A child runs its parent's image until it execs: copied if the parent is
  // known (and alive) when the fork record arrives, never looked up later.
  void on_fork(const pf_task& child);
  void on_exit(const pf_task& task, uint64_t now_ns);

  // The process (tgid, start_boot_ns) with a known image: the cache, then
  // /proc (once per process). nullptr when neither knows it.
  const ProcessEntry* find(uint32_t tgid, uint64_t start_boot_ns);

  // Reads every process in /proc (at start-up).
  void scan_proc();
  // Forgets processes that exited more than keep_ns ago; returns them.
  std::vector<GoneProcess> expire(uint64_t now_ns, uint64_t keep_ns);

  size_t size() const { return entries_.size(); }
  size_t exited() const;  // entries of processes whose exit was seen (kept until expire())
  uint64_t proc_reads() const { return proc_reads_; }
  // find() answered from the cache, or had to go to /proc (or knew it could not).
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

  static std::string_view basename(std::string_view path);
  static bool same_start(const ProcessEntry& e, uint64_t start_boot_ns);

 private:
  bool read_proc(uint32_t tgid, ProcessEntry* out);
  ProcessImage image_at_exec(uint32_t tgid, std::string_view filename, const ExecDetails& exec);
  std::string read_link(uint32_t tgid, const char* name) const;

  std::string proc_root_;
  std::unordered_map<uint32_t, ProcessEntry> entries_;
  // (tgid, start) pairs /proc could not name (gone, or a kernel thread with
  // no image): asked once, not on every event of their flows. Bounded.
  std::unordered_set<uint64_t> unresolvable_;
  uint64_t proc_reads_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace procflow
