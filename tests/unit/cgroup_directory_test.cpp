// Tests CgroupDirectory on a scratch tree standing in for the cgroup2 mount
// (ids are the directories' inode numbers, as on cgroup2): paths are found
// once and cached, removed directories are forgotten, and an inode number a
// removed directory's name now has under a new directory is not confused.
#include "enrich/cgroup_directory.h"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <fstream>

#include "scratch_tree.h"

namespace procflow {
namespace {

TEST(CgroupDirectoryTest, FindsPathsByIdAndCachesThem) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t pod = tree.mkdir("kubepods/besteffort/podA");
  const uint64_t container = tree.mkdir("kubepods/besteffort/podA/abc");
  CgroupDirectory dir(tree.root());
  EXPECT_EQ(dir.path_of(container), "/kubepods/besteffort/podA/abc");
  EXPECT_EQ(dir.path_of(pod), "/kubepods/besteffort/podA");
  EXPECT_EQ(dir.tree_walks(), 1u) << "one walk files every directory";
  EXPECT_EQ(dir.path_of(container), "/kubepods/besteffort/podA/abc");
  EXPECT_EQ(dir.tree_walks(), 1u);
  EXPECT_EQ(dir.path_of(tree.mkdir("")), "/") << "the mount's root";
}

TEST(CgroupDirectoryTest, UnknownIdsAreNotFoundAndNotWalkedForAgainUntilTheSweep) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.mkdir("a");
  CgroupDirectory dir(tree.root());
  EXPECT_EQ(dir.path_of(1), std::nullopt);
  const uint64_t walks = dir.tree_walks();
  EXPECT_EQ(dir.path_of(1), std::nullopt);
  EXPECT_EQ(dir.tree_walks(), walks);
  // A cgroup made after the miss is found once the sweep forgot the miss.
  const uint64_t later = tree.mkdir("b");
  dir.forget_removed();
  EXPECT_EQ(dir.path_of(later), "/b");
}

TEST(CgroupDirectoryTest, RemovedCgroupsAreForgotten) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t kept = tree.mkdir("kept");
  const uint64_t gone = tree.mkdir("gone");
  CgroupDirectory dir(tree.root());
  ASSERT_EQ(dir.path_of(gone), "/gone");
  ASSERT_EQ(dir.path_of(kept), "/kept");
  EXPECT_TRUE(dir.known(gone));
  tree.remove("gone");
  EXPECT_GE(dir.forget_removed(), 1u);
  EXPECT_FALSE(dir.known(gone));
  EXPECT_TRUE(dir.known(kept));
  EXPECT_EQ(dir.path_of(gone), std::nullopt);

  // The same name made again is another cgroup (another inode): the old id
  // does not come back to life under it.
  const uint64_t again = tree.mkdir("gone");
  if (again != gone) {
    dir.forget_removed();
    EXPECT_EQ(dir.path_of(gone), std::nullopt);
    EXPECT_EQ(dir.path_of(again), "/gone");
  }
}

TEST(CgroupDirectoryTest, NoMountResolvesNothing) {
  CgroupDirectory none("");
  EXPECT_EQ(none.path_of(1), std::nullopt);
  CgroupDirectory missing("/nonexistent/procflow-cgroup");
  EXPECT_EQ(missing.path_of(1), std::nullopt);
  EXPECT_EQ(missing.forget_removed(), 0u);
}

// The real cgroup2 mount, where ids resolve through file handles (or, without
// CAP_DAC_READ_SEARCH, the walk): this test's own cgroup, from /proc/self/cgroup.
TEST(CgroupDirectoryTest, ThisProcessesOwnCgroupOnTheRealMount) {
  std::string mount;
  for (const char* m : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct statfs fs = {};
    if (::statfs(m, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC) {
      mount = m;
      break;
    }
  }
  if (mount.empty()) GTEST_SKIP() << "no cgroup2 mount";
  std::ifstream in("/proc/self/cgroup");
  std::string line, own;
  while (std::getline(in, line))
    if (line.starts_with("0::")) own = line.substr(3);
  ASSERT_FALSE(own.empty());
  struct stat st = {};
  ASSERT_EQ(::stat((mount + own).c_str(), &st), 0) << mount + own;
  CgroupDirectory dir(mount);
  EXPECT_EQ(dir.path_of(st.st_ino), own);
}

}  // namespace
}  // namespace procflow
