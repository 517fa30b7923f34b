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

std::set<uint64_t> live_mount_namespaces() {
  std::set<uint64_t> inodes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    if (!is_pid(entry.path().filename())) continue;
    struct stat st = {};
    if (stat((entry.path() / "ns" / "mnt").c_str(), &st) == 0) inodes.insert(st.st_ino);
  }
  return inodes;
}

}  // namespace procflow_it
