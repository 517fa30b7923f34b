#include "util/net_namespaces.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>
#include <unordered_set>

namespace procflow {

std::vector<NetNamespace> list_net_namespaces(const std::string& proc_root) {
  std::vector<NetNamespace> out;
  std::unordered_set<uint64_t> seen;
  struct stat own = {};
  if (::stat((proc_root + "/self/ns/net").c_str(), &own) == 0) {
    out.push_back(NetNamespace{own.st_ino, static_cast<uint32_t>(getpid())});
    seen.insert(own.st_ino);
  }
  DIR* dir = opendir(proc_root.c_str());
  if (!dir) return out;
  while (dirent* d = readdir(dir)) {
    uint32_t pid = 0;
    const size_t len = std::strlen(d->d_name);
    auto [p, ec] = std::from_chars(d->d_name, d->d_name + len, pid);
    if (ec != std::errc() || p != d->d_name + len) continue;
    struct stat st = {};
    if (::stat((proc_root + "/" + d->d_name + "/ns/net").c_str(), &st) != 0) continue;
    if (seen.insert(st.st_ino).second) out.push_back(NetNamespace{st.st_ino, pid});
  }
  closedir(dir);
  return out;
}

bool run_in_net_namespace(uint32_t pid, const std::function<void()>& work, std::string* error,
                          const std::string& proc_root) {
  const std::string path = proc_root + "/" + std::to_string(pid) + "/ns/net";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  bool entered = false;
  int why = 0;
  std::thread([&] {
    // This thread alone moves; it ends with the work, so nothing else ever
    // runs in the other namespace.
    if (::setns(fd, CLONE_NEWNET) == 0) {
      entered = true;
      work();
    } else {
      why = errno;
    }
  }).join();
  ::close(fd);
  if (!entered) *error = "cannot enter " + path + ": " + std::strerror(why);
  return entered;
}

}  // namespace procflow
