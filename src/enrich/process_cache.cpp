#include "enrich/process_cache.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace procflow {
namespace {

// /proc start times are in clock ticks (usually 10 ms): compare loosely.
constexpr uint64_t coarse_slack_ns = 20'000'000;

void set_image(ProcessEntry& e, ProcessImage image) {
  e.image = std::move(image);
  e.exe = std::string(e.image.exe());
}

}  // namespace

ProcessCache::ProcessCache(std::string proc_root) : proc_root_(std::move(proc_root)) {}

std::string_view ProcessCache::basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool ProcessCache::same_start(const ProcessEntry& e, uint64_t start_boot_ns) {
  if (e.start_boot_ns == 0 || start_boot_ns == 0) return true;  // cannot tell: trust the pid
  if (!e.coarse_start) return e.start_boot_ns == start_boot_ns;
  uint64_t d = e.start_boot_ns > start_boot_ns ? e.start_boot_ns - start_boot_ns
                                               : start_boot_ns - e.start_boot_ns;
  return d <= coarse_slack_ns;
}

std::string ProcessCache::read_link(uint32_t tgid, const char* name) const {
  const std::string path = proc_root_ + "/" + std::to_string(tgid) + "/" + name;
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return "";  // gone, or cut off
  return std::string(buf, static_cast<size_t>(n));
}

ProcessImage ProcessCache::image_at_exec(uint32_t tgid, std::string_view filename,
                                         const ExecDetails& exec) {
  if (!exec.kernel_path.empty()) {
    ProcessImage image = image_from_kernel(exec.kernel_path, exec.kernel_flags);
    // Still running: /proc/<pid>/exe has the whole path (this process's,
    // when it ends with the tail the kernel captured at exec).
    if (image.truncated) complete_from_exe_link(image, read_link(tgid, "exe"));
    return image;
  }
  // The kernel's view of the running image: absolute, symlinks resolved, in
  // the process's own mount namespace. Gone if the process already exited.
  std::string link = read_link(tgid, "exe");
  if (!link.empty()) return image_from_exe_link(link);
  return image_from_exec_filename(filename, exec.filename_cut, read_link(tgid, "cwd"));
}

ExecDetails exec_details(const pf_proc_exec& record) {
  ExecDetails exec;
  if (record.exe_path_len != 0)
    exec.kernel_path =
        std::string_view(record.exe_path, strnlen(record.exe_path, sizeof record.exe_path));
  exec.kernel_flags = record.exe_flags;
  // bpf_probe_read_kernel_str fills the whole buffer only when the string
  // was at least that long.
  exec.filename_cut = record.filename_len >= sizeof record.filename;
  exec.program.boot_ns = record.hdr.ktime_ns;
  exec.program.mnt_event = record.mnt_event;
  return exec;
}

std::string_view exec_filename(const pf_proc_exec& record) {
  return std::string_view(record.filename, strnlen(record.filename, sizeof record.filename));
}

void ProcessCache::on_exec(const pf_proc_exec& record) {
  on_exec(record.task, exec_filename(record), exec_details(record));
}

void ProcessCache::on_exec(const pf_task& task, std::string_view filename,
                           const ExecDetails& exec) {
  ProcessEntry& e = entries_[task.tgid];
  e.start_boot_ns = task.start_boot_ns;
  e.coarse_start = false;
  e.ppid = task.ppid;
  set_image(e, image_at_exec(task.tgid, filename, exec));
  e.program = exec.program;
  if (e.program.boot_ns == 0) e.program.boot_ns = task.start_boot_ns;
  e.exited_at_ns = 0;
}

void ProcessCache::on_fork(const pf_task& child) {
  ProcessEntry e;
  e.start_boot_ns = child.start_boot_ns;
  e.ppid = child.ppid;
  e.program.boot_ns = child.start_boot_ns;
  // Records arrive in kernel order, so the parent's entry is its image at
  // the fork. A parent that exited, or a younger process holding its pid,
  // is not the parent.
  auto parent = entries_.find(child.ppid);
  if (parent != entries_.end() && parent->second.exited_at_ns == 0 &&
      parent->second.start_boot_ns <= child.start_boot_ns) {
    e.image = parent->second.image;
    e.exe = parent->second.exe;
  }
  entries_[child.tgid] = std::move(e);
}

void ProcessCache::on_exit(const pf_task& task, uint64_t now_ns) {
  auto it = entries_.find(task.tgid);
  if (it != entries_.end() && same_start(it->second, task.start_boot_ns))
    it->second.exited_at_ns = now_ns;
}

bool ProcessCache::read_proc(uint32_t tgid, ProcessEntry* out) {
  proc_reads_++;
  std::string base = proc_root_ + "/" + std::to_string(tgid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // pid (comm) state ppid ... field 22 starttime; comm may hold spaces and ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f && fields.size() < 20) fields.push_back(f);
  if (fields.size() < 20) return false;
  out->ppid = static_cast<uint32_t>(std::strtoul(fields[1].c_str(), nullptr, 10));
  uint64_t ticks = std::strtoull(fields[19].c_str(), nullptr, 10);
  static const long hz = sysconf(_SC_CLK_TCK);
  out->start_boot_ns = ticks * (1'000'000'000ull / static_cast<uint64_t>(hz > 0 ? hz : 100));
  out->coarse_start = true;
  out->program.boot_ns = out->start_boot_ns;
  set_image(*out, image_from_exe_link(read_link(tgid, "exe")));
  return true;
}

const ProcessEntry* ProcessCache::find(uint32_t tgid, uint64_t start_boot_ns) {
  auto it = entries_.find(tgid);
  if (it != entries_.end() && same_start(it->second, start_boot_ns) && !it->second.exe.empty()) {
    hits_++;
    return &it->second;
  }
  misses_++;
  const uint64_t attempt = (uint64_t{tgid} << 32) ^ start_boot_ns;
  if (unresolvable_.count(attempt)) return nullptr;
  ProcessEntry fresh;
  if (read_proc(tgid, &fresh) && same_start(fresh, start_boot_ns) && !fresh.exe.empty()) {
    auto& slot = entries_[tgid];
    slot = std::move(fresh);
    return &slot;
  }
  constexpr size_t max_unresolvable = 4096;
  if (unresolvable_.size() >= max_unresolvable) unresolvable_.clear();
  unresolvable_.insert(attempt);
  // Not the parent's entry: a child may have exec'd something else (a memfd,
  // a shell's command) before it exited, and an entry of an earlier process
  // with this pid would be a wrong answer too.
  return nullptr;
}

void ProcessCache::scan_proc() {
  DIR* dir = opendir(proc_root_.c_str());
  if (!dir) return;
  while (dirent* d = readdir(dir)) {
    uint32_t tgid = 0;
    auto [p, ec] = std::from_chars(d->d_name, d->d_name + std::strlen(d->d_name), tgid);
    if (ec != std::errc() || *p != '\0') continue;
    ProcessEntry e;
    if (read_proc(tgid, &e)) entries_.emplace(tgid, std::move(e));
  }
  closedir(dir);
}

size_t ProcessCache::exited() const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [](const auto& kv) { return kv.second.exited_at_ns; }));
}

std::vector<GoneProcess> ProcessCache::expire(uint64_t now_ns, uint64_t keep_ns) {
  std::vector<GoneProcess> gone;
  std::erase_if(entries_, [&](const auto& kv) {
    const uint64_t exited = kv.second.exited_at_ns;
    if (exited == 0 || now_ns - exited <= keep_ns) return false;
    gone.push_back(GoneProcess{kv.first, exited});
    return true;
  });
  return gone;
}

}  // namespace procflow
