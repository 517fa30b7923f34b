#include "enrich/process_cache.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace procflow {
namespace {

// /proc start times are in clock ticks (usually 10 ms): compare loosely.
constexpr uint64_t coarse_slack_ns = 20'000'000;

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string out(buf, n);
  // An unlinked executable reads as "/path (deleted)": keep the path.
  constexpr std::string_view deleted = " (deleted)";
  if (out.size() > deleted.size() && out.ends_with(deleted))
    out.resize(out.size() - deleted.size());
  return out;
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

std::string ProcessCache::resolve_image_path(uint32_t tgid, std::string_view filename) {
  // The kernel's view of the running image: absolute, symlinks resolved, in
  // the process's own mount namespace. Gone if the process already exited.
  std::string base = proc_root_ + "/" + std::to_string(tgid);
  std::string exe = read_link(base + "/exe");
  if (!exe.empty()) return exe;
  if (filename.starts_with('/')) return std::string(filename);
  std::string cwd = read_link(base + "/cwd");
  if (!cwd.empty() && !filename.empty())
    return (std::filesystem::path(cwd) / filename).lexically_normal().string();
  return std::string(filename);
}

void ProcessCache::on_exec(const pf_task& task, std::string_view filename,
                           std::string_view kernel_path) {
  ProcessEntry& e = entries_[task.tgid];
  e.start_boot_ns = task.start_boot_ns;
  e.coarse_start = false;
  e.ppid = task.ppid;
  e.image_path =
      kernel_path.empty() ? resolve_image_path(task.tgid, filename) : std::string(kernel_path);
  e.exe = std::string(basename(e.image_path));
  e.exited_at_ns = 0;
}

void ProcessCache::on_fork(const pf_task& child) {
  ProcessEntry e;
  e.start_boot_ns = child.start_boot_ns;
  e.ppid = child.ppid;
  // Until it execs, a child runs its parent's image.
  auto parent = entries_.find(child.ppid);
  if (parent != entries_.end()) {
    e.image_path = parent->second.image_path;
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
  out->image_path = read_link(base + "/exe");
  out->exe = std::string(basename(out->image_path));
  return true;
}

const ProcessEntry* ProcessCache::find(uint32_t tgid, uint64_t start_boot_ns, uint32_t ppid) {
  auto it = entries_.find(tgid);
  if (it != entries_.end() && same_start(it->second, start_boot_ns) && !it->second.exe.empty())
    return &it->second;
  const uint64_t attempt = (uint64_t{tgid} << 32) ^ start_boot_ns;
  if (!unresolvable_.count(attempt)) {
    ProcessEntry fresh;
    if (read_proc(tgid, &fresh) && same_start(fresh, start_boot_ns) && !fresh.exe.empty()) {
      auto& slot = entries_[tgid];
      slot = std::move(fresh);
      return &slot;
    }
    constexpr size_t max_unresolvable = 4096;
    if (unresolvable_.size() >= max_unresolvable) unresolvable_.clear();
    unresolvable_.insert(attempt);
  }
  if (ppid != 0 && ppid != tgid) {
    auto parent = entries_.find(ppid);
    if (parent != entries_.end() && !parent->second.exe.empty()) return &parent->second;
  }
  return nullptr;  // an entry of an earlier process with this pid would be a wrong answer
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

void ProcessCache::expire(uint64_t now_ns, uint64_t keep_ns) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.exited_at_ns != 0 && now_ns - kv.second.exited_at_ns > keep_ns;
  });
}

}  // namespace procflow
