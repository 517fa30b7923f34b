// Counting the host's processes from /proc; see host_processes.h.
#include "host_processes.h"

#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

namespace procflow_it {
namespace {

bool is_pid(const std::string& name) {
  return !name.empty() && std::isdigit(static_cast<unsigned char>(name[0]));
}

}  // namespace

ProcessCount count_processes() {
  ProcessCount count;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    if (is_pid(entry.path().filename())) count.live++;
  }
  std::ifstream stat("/proc/stat");
  for (std::string key; stat >> key;) {
    if (key == "processes") {
      stat >> count.created;
      break;
    }
    std::string rest;
    std::getline(stat, rest);
  }
  return count;
}

namespace {

// Calls fn(inode) with the mount namespace of every live process.
template <typename Fn>
void for_each_mount_namespace(Fn fn) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    if (!is_pid(entry.path().filename())) continue;
    struct stat st = {};
    if (stat((entry.path() / "ns" / "mnt").c_str(), &st) == 0) fn(static_cast<uint64_t>(st.st_ino));
  }
}

}  // namespace

std::set<uint64_t> live_mount_namespaces() {
  std::set<uint64_t> inodes;
  for_each_mount_namespace([&](uint64_t inode) { inodes.insert(inode); });
  return inodes;
}

int64_t processes_outside_mount_namespace(uint64_t mntns) {
  int64_t n = 0;
  for_each_mount_namespace([&](uint64_t inode) { n += inode != mntns; });
  return n;
}

}  // namespace procflow_it
