#include "enrich/socket_owners.h"

#include "enrich/process_pid_namespace.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace procflow {
namespace {

std::optional<uint32_t> number(std::string_view text) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::vector<uint32_t> pids_of(const std::string& proc_root) {
  std::vector<uint32_t> pids;
  DIR* dir = opendir(proc_root.c_str());
  if (!dir) return pids;
  while (dirent* d = readdir(dir))
    if (auto pid = number(d->d_name)) pids.push_back(*pid);
  closedir(dir);
  return pids;
}

}  // namespace

uint64_t SocketOwners::socket_inode_of_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (!link.starts_with(prefix) || !link.ends_with(']')) return 0;
  uint64_t inode = 0;
  const std::string_view digits = link.substr(prefix.size(), link.size() - prefix.size() - 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  return ec == std::errc() && p == digits.data() + digits.size() ? inode : 0;
}

SocketOwners SocketOwners::scan(const std::string& proc_root, const std::string& cgroup_mount) {
  SocketOwners owners;
  owners.proc_root_ = proc_root;
  owners.cgroup_mount_ = cgroup_mount;
  for (uint32_t pid : pids_of(proc_root)) {
    const std::string fd_dir = proc_root + "/" + std::to_string(pid) + "/fd";
    DIR* dir = opendir(fd_dir.c_str());
    if (!dir) continue;  // gone, or a kernel thread
    char link[64];
    while (dirent* d = readdir(dir)) {
      if (d->d_name[0] == '.') continue;
      const ssize_t n = readlinkat(dirfd(dir), d->d_name, link, sizeof link);
      if (n <= 0 || static_cast<size_t>(n) >= sizeof link) continue;
      const uint64_t inode = socket_inode_of_link(std::string_view(link, static_cast<size_t>(n)));
      if (!inode) continue;
      auto [it, fresh] = owners.pid_by_inode_.emplace(inode, pid);
      if (!fresh && pid < it->second) it->second = pid;
    }
    closedir(dir);
  }
  return owners;
}

std::optional<pf_task> SocketOwners::owner_of(uint64_t inode) const {
  auto it = pid_by_inode_.find(inode);
  if (inode == 0 || it == pid_by_inode_.end()) return std::nullopt;
  return task_of(proc_root_, it->second, cgroup_mount_);
}

std::optional<std::string_view> SocketOwners::cgroup_v2_path(std::string_view proc_cgroup) {
  while (!proc_cgroup.empty()) {
    const size_t end = proc_cgroup.find('\n');
    const std::string_view line = proc_cgroup.substr(0, end);
    // A path outside procflow's cgroup namespace ("/../../kubepods/...":
    // the reader has a private one) does not name a directory of its mount.
    if (line.starts_with("0::/"))
      return line.find("/..") == std::string_view::npos ? std::optional(line.substr(3))
                                                        : std::nullopt;
    if (end == std::string_view::npos) break;
    proc_cgroup.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<pf_task> SocketOwners::task_of(const std::string& proc_root, uint32_t pid,
                                             const std::string& cgroup_mount) {
  const std::string base = proc_root + "/" + std::to_string(pid);
  std::ifstream stat_file(base + "/stat");
  std::string line;
  if (!std::getline(stat_file, line)) return std::nullopt;
  // pid (comm) state ppid ...; comm may hold spaces and ')'.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  pf_task t{};
  t.tgid = pid;
  t.tid = pid;
  const std::string comm = line.substr(open + 1, close - open - 1);
  std::strncpy(t.comm, comm.c_str(), sizeof t.comm - 1);
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string f; rest >> f && fields.size() < 20;) fields.push_back(f);
  if (fields.size() < 20) return std::nullopt;
  t.ppid = number(fields[1]).value_or(0);
  static const long hz = sysconf(_SC_CLK_TCK);
  t.start_boot_ns = std::strtoull(fields[19].c_str(), nullptr, 10) *
                    (1'000'000'000ull / static_cast<uint64_t>(hz > 0 ? hz : 100));
  // The real uid and gid: the first of the four numbers on their lines.
  std::ifstream status(base + "/status");
  std::string status_text;
  for (std::string s; std::getline(status, s);) {
    status_text.append(s).push_back('\n');
    std::istringstream fields_of(s);
    std::string key;
    uint32_t real = 0;
    if (!(fields_of >> key >> real)) continue;
    if (key == "Uid:") t.uid = real;
    if (key == "Gid:") t.gid = real;
  }
  t.ns_tgid = inner_pid_from_status(status_text).value_or(0);
  struct stat ns = {};
  if (::stat((base + "/ns/mnt").c_str(), &ns) == 0) t.mntns = ns.st_ino;
  // The kernel's cgroup id is the cgroup directory's inode (kernfs node id).
  if (!cgroup_mount.empty()) {
    std::ifstream cgroup_file(base + "/cgroup");
    const std::string cgroups((std::istreambuf_iterator<char>(cgroup_file)),
                              std::istreambuf_iterator<char>());
    struct stat dir = {};
    if (auto path = cgroup_v2_path(cgroups);
        path && ::stat((cgroup_mount + std::string(*path)).c_str(), &dir) == 0)
      t.cgroup_id = dir.st_ino;
  }
  return t;
}

}  // namespace procflow
