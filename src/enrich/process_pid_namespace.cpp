// NSpid, start times and bounded /proc reads; see process_pid_namespace.h.
#include "enrich/process_pid_namespace.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include "enrich/process_cache.h"
#include "util/nspid.h"

namespace procflow {
namespace {

// status is ~1.5 KiB, cgroup a line per hierarchy: far below this.
constexpr size_t kMaxFileBytes = 64 * 1024;

std::string read_at(int dir_fd, const char* name) {
  std::string text;
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  while (text.size() < kMaxFileBytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<uint32_t> inner_pid_from_status(std::string_view text) {
  const std::vector<uint32_t> pids = nspid_of(text);
  if (pids.size() < 2) return std::nullopt;
  return pids.back();
}

std::optional<uint64_t> start_ns_from_stat(std::string_view text) {
  // pid (comm) state ppid ... : comm may hold spaces and ')', so count from
  // the last ')'. starttime is the 20th field after it.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  for (int field = 0; field < 20; field++) {
    const size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(start);
    const size_t end = rest.find(' ');
    if (field == 19) {
      auto ticks = number(rest.substr(0, end == std::string_view::npos ? rest.size() : end));
      if (!ticks) return std::nullopt;
      static const long hz = sysconf(_SC_CLK_TCK);
      return *ticks * (1'000'000'000ull / static_cast<uint64_t>(hz > 0 ? hz : 100));
    }
    if (end == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

std::optional<ProcessProcFiles> read_process_files(const std::string& proc_root, uint32_t pid,
                                                   uint64_t start_boot_ns, bool with_cgroup) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return std::nullopt;
  // Reads through this descriptor fail once its process is gone, so a
  // start time that matches now vouches for what is read after it.
  ProcessEntry seen;
  seen.coarse_start = true;
  const auto start = start_ns_from_stat(read_at(dir_fd, "stat"));
  seen.start_boot_ns = start.value_or(0);
  std::optional<ProcessProcFiles> out;
  if (start && ProcessCache::same_start(seen, start_boot_ns)) {
    out.emplace();
    out->status = read_at(dir_fd, "status");
    if (with_cgroup) out->cgroup = read_at(dir_fd, "cgroup");
    if (out->status.empty()) out.reset();  // gone meanwhile
  }
  ::close(dir_fd);
  return out;
}

}  // namespace procflow
