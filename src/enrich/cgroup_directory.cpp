// cgroup ids to paths; see cgroup_directory.h.
#include "enrich/cgroup_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace procflow {
namespace {

// The kernel's file handle type for kernfs (cgroup2) nodes: the handle is
// the node's 64-bit id, which is the cgroup id.
constexpr int kFileIdKernfs = 0xfe;

// Far deeper and wider than any real hierarchy: a walk stops there.
constexpr size_t kMaxWalkDepth = 32;
constexpr size_t kMaxWalkDirectories = 200'000;
// A runaway set of unknown ids (a flood of short-lived cgroups) is bounded.
constexpr size_t kMaxMissing = 4096;

}  // namespace

CgroupDirectory::CgroupDirectory(std::string mount) : mount_(std::move(mount)) {
  while (mount_.size() > 1 && mount_.back() == '/') mount_.pop_back();
  if (mount_.empty()) return;
  mount_fd_ = ::open(mount_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct statfs fs = {};
  // Handles of type kernfs mean something only on cgroup2; elsewhere the
  // file system would read them as its own (ESTALE: "gone").
  handles_ = mount_fd_ >= 0 && ::fstatfs(mount_fd_, &fs) == 0 &&
             static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC;
}

CgroupDirectory::~CgroupDirectory() {
  if (mount_fd_ >= 0) ::close(mount_fd_);
}

std::optional<std::string> CgroupDirectory::path_by_handle(uint64_t id, bool* gone) {
  *gone = false;
  // file_handle ends in a flexible array: the id goes in the bytes after it.
  alignas(file_handle) unsigned char buf[sizeof(file_handle) + sizeof(uint64_t)] = {};
  auto* handle = reinterpret_cast<file_handle*>(buf);
  handle->handle_bytes = sizeof(uint64_t);
  handle->handle_type = kFileIdKernfs;
  std::memcpy(buf + sizeof(file_handle), &id, sizeof id);
  const int fd = ::open_by_handle_at(mount_fd_, handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ESTALE || errno == ENOENT) {
      *gone = true;
    } else {
      // EPERM without CAP_DAC_READ_SEARCH, EOPNOTSUPP on an old kernel: the
      // tree walk answers instead from now on.
      handles_ = false;
    }
    return std::nullopt;
  }
  // The directory's path as this process's mount namespace shows it.
  char link[PATH_MAX];
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(self.c_str(), link, sizeof link - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  const std::string_view full(link, static_cast<size_t>(n));
  if (mount_ == "/") return std::string(full);
  if (!full.starts_with(mount_)) return std::nullopt;
  if (full.size() == mount_.size()) return std::string("/");
  if (full[mount_.size()] != '/') return std::nullopt;
  return std::string(full.substr(mount_.size()));
}

std::optional<std::string> CgroupDirectory::path_of(uint64_t id) {
  if (mount_fd_ < 0 || id == 0) return std::nullopt;
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (missing_.contains(id)) return std::nullopt;
  if (handles_) {
    bool gone = false;
    if (auto path = path_by_handle(id, &gone)) {
      paths_.emplace(id, *path);
      return path;
    }
    if (gone || handles_) {
      if (missing_.size() >= kMaxMissing) missing_.clear();
      missing_.emplace(id, true);
      return std::nullopt;
    }
  }
  walk_tree();
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (missing_.size() >= kMaxMissing) missing_.clear();
  missing_.emplace(id, true);
  return std::nullopt;
}

void CgroupDirectory::walk_tree() {
  // Every directory's inode is filed: one walk answers the other new
  // cgroups too. Depth-first with an explicit stack; bounded.
  walks_++;
  struct Pending {
    std::string path;  // "" for the root, else "/a/b"
    size_t depth;
  };
  std::vector<Pending> stack{{"", 0}};
  size_t seen = 0;
  while (!stack.empty() && seen < kMaxWalkDirectories) {
    Pending p = std::move(stack.back());
    stack.pop_back();
    const std::string rel = p.path.empty() ? "." : p.path.substr(1);
    const int fd = ::openat(mount_fd_, rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st = {};
    if (::fstat(fd, &st) == 0) paths_[st.st_ino] = p.path.empty() ? "/" : p.path;
    seen++;
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      ::close(fd);
      continue;
    }
    while (dirent* d = ::readdir(dir)) {
      if (d->d_type != DT_DIR || !std::strcmp(d->d_name, ".") || !std::strcmp(d->d_name, ".."))
        continue;
      if (p.depth + 1 <= kMaxWalkDepth) stack.push_back({p.path + "/" + d->d_name, p.depth + 1});
    }
    ::closedir(dir);
  }
}

size_t CgroupDirectory::forget_removed() {
  missing_.clear();
  size_t forgotten = 0;
  std::erase_if(paths_, [&](const auto& entry) {
    const std::string rel = entry.second == "/" ? "." : entry.second.substr(1);
    struct stat st = {};
    // Removed, or its name now belongs to a newer cgroup (another inode).
    const bool removed = ::fstatat(mount_fd_, rel.c_str(), &st, 0) != 0 ||
                         static_cast<uint64_t>(st.st_ino) != entry.first;
    forgotten += removed;
    return removed;
  });
  return forgotten;
}

}  // namespace procflow
