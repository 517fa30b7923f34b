// Test cgroups; see test_cgroups.h.
#include "test_cgroups.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

namespace procflow_it {
namespace {

std::string random_hex(size_t digits) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; i++) out.push_back(hex[rng() % 16]);
  return out;
}

}  // namespace

std::string cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string field;
    for (int i = 0; i < 5 && fields >> field; i++) {
    }
    return field;  // the fifth field: the mount point
  }
  return "";
}

TestCgroups::TestCgroups() : mount_(cgroup2_mount()) {
  if (mount_.empty()) return;
  const std::string root = mount_ + "/procflow-it-" + std::to_string(getpid());
  if (::mkdir(root.c_str(), 0755) == 0) root_ = root;
}

TestCgroups::~TestCgroups() {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
  if (!root_.empty()) ::rmdir(root_.c_str());
}

std::string TestCgroups::root_below_mount() const {
  return root_.substr(mount_.size());
}

std::string TestCgroups::make(const std::string& rel) {
  if (root_.empty()) return "";
  std::string path = root_;
  size_t pos = 0;
  while (pos < rel.size()) {
    const size_t slash = rel.find('/', pos);
    const std::string part = rel.substr(pos, slash == std::string::npos ? slash : slash - pos);
    pos = slash == std::string::npos ? rel.size() : slash + 1;
    if (part.empty()) continue;
    path += "/" + part;
    struct stat st = {};
    if (::stat(path.c_str(), &st) == 0) continue;
    if (::mkdir(path.c_str(), 0755) != 0) return "";
    made_.push_back(path);
  }
  return path;
}

std::string random_container_id() {
  return random_hex(64);
}

std::string random_pod_uid() {
  return random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" +
         random_hex(12);
}

}  // namespace procflow_it
