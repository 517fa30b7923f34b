// cgroup v2 ids to the cgroups' paths. The kernel's records carry the owner's
// cgroup id, which is the inode number of the cgroup's directory on the
// cgroup2 mount; its path (where the container id is) is looked up once per
// cgroup and kept until the cgroup is removed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace procflow {

class CgroupDirectory {
 public:
  // `mount`: the cgroup2 mount point ("" when none: nothing resolves). Any
  // directory tree works (tests use a scratch one): ids are its inode numbers.
  explicit CgroupDirectory(std::string mount);
  ~CgroupDirectory();
  CgroupDirectory(const CgroupDirectory&) = delete;
  CgroupDirectory& operator=(const CgroupDirectory&) = delete;

  // The cgroup's path below the mount ("/" for its root, "/a/b" below);
  // nullopt when no directory has this id (removed, or never there).
  std::optional<std::string> path_of(uint64_t id);

  // Forgets the cgroups that were removed (and which ids were not found, so
  // a cgroup made since is found next time). Returns how many it forgot.
  size_t forget_removed();

  // Whether the id's path is cached (it existed at the last forget_removed()).
  bool known(uint64_t id) const { return paths_.contains(id); }
  size_t cached() const { return paths_.size(); }
  uint64_t tree_walks() const { return walks_; }

 private:
  std::optional<std::string> path_by_handle(uint64_t id, bool* gone);
  void walk_tree();

  std::string mount_;
  int mount_fd_ = -1;
  bool handles_ = false;  // open_by_handle_at works here (cgroup2, CAP_DAC_READ_SEARCH)
  std::unordered_map<uint64_t, std::string> paths_;
  std::unordered_map<uint64_t, bool> missing_;  // ids looked for and not found
  uint64_t walks_ = 0;
};

}  // namespace procflow
