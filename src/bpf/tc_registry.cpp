#include "bpf/tc_registry.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "bpf/tc_attachment.h"

namespace procflow {
namespace {

struct Entry {
  int ifindex = 0;
  std::string name;
  bool created_qdisc = false;
};

std::vector<Entry> read_entries(const std::string& path) {
  std::vector<Entry> out;
  std::ifstream in(path);
  Entry e;
  while (in >> e.ifindex >> e.name >> e.created_qdisc) out.push_back(e);
  return out;
}

}  // namespace

// A running procflow: not a zombie waiting to be reaped (its TC filters are
// already orphaned), and not some other process that inherited the pid.
bool TcRegistry::procflow_alive(pid_t pid) const {
  std::ifstream stat(proc_root_ + "/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto open = line.find('(');
  auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size())
    return false;
  const char state = line[close + 2];
  const std::string comm = line.substr(open + 1, close - open - 1);
  return state != 'Z' && state != 'X' && comm.rfind("procflow", 0) == 0;
}

TcRegistry::TcRegistry(std::string dir, pid_t self, std::string proc_root)
    : dir_(std::move(dir)), proc_root_(std::move(proc_root)), self_(self ? self : getpid()) {}

TcRegistry::~TcRegistry() {
  if (wrote_) unlink(file_for(self_).c_str());
}

std::string TcRegistry::file_for(pid_t pid) const {
  return dir_ + "/tc-" + std::to_string(pid);
}

void TcRegistry::record(int ifindex, const std::string& name, bool created_qdisc) {
  mkdir(dir_.c_str(), 0700);
  std::ofstream out(file_for(self_), std::ios::app);
  out << ifindex << ' ' << name << ' ' << (created_qdisc ? 1 : 0) << '\n';
  out.flush();
  wrote_ = true;
  // Not fatal, but a crash would then leave this filter behind for good.
  if (!out && !warned_) {
    warned_ = true;
    spdlog::warn(
        "cannot record the TC filters in {} ({}): after a crash the next start cannot remove "
        "them; make the directory writable (systemd: RuntimeDirectory=procflow)",
        file_for(self_), std::strerror(errno));
  }
}

int TcRegistry::remove_stale() {
  DIR* d = opendir(dir_.c_str());
  if (!d) return 0;
  std::vector<pid_t> dead;
  std::set<int> live_interfaces;
  while (dirent* e = readdir(d)) {
    if (std::strncmp(e->d_name, "tc-", 3) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name + 3));
    if (pid <= 0 || pid == self_) continue;
    if (procflow_alive(pid)) {
      for (const auto& entry : read_entries(file_for(pid))) live_interfaces.insert(entry.ifindex);
    } else {
      dead.push_back(pid);
    }
  }
  closedir(d);
  int removed = 0;
  for (pid_t pid : dead) {
    for (const auto& entry : read_entries(file_for(pid))) {
      removed += detach_tc_filters(entry.ifindex, static_cast<uint32_t>(pid));
      if (entry.created_qdisc && !live_interfaces.count(entry.ifindex))
        destroy_clsact(entry.ifindex);
    }
    unlink(file_for(pid).c_str());
  }
  return removed;
}

}  // namespace procflow
