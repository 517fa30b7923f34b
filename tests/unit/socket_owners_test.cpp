// Tests SocketOwners on a fake /proc: the socket inode found among the
// processes' descriptors, the lowest pid for a shared socket, and the owner
// described as a kernel record would be (pid, ppid, real uid and gid, start
// time, comm with spaces and parentheses, mount namespace).
#include "enrich/socket_owners.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace procflow {
namespace {

namespace fs = std::filesystem;

class SocketOwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "procflow-owners-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    proc_ = templ;
  }
  void TearDown() override { fs::remove_all(proc_); }

  // A process with `comm`, parent `ppid`, real uid/gid, start `ticks` and
  // descriptors linking to `links`.
  void process(uint32_t pid, const std::string& comm, uint32_t ppid, uint32_t uid, uint64_t ticks,
               const std::vector<std::string>& links) {
    const fs::path base = proc_ / std::to_string(pid);
    fs::create_directories(base / "fd");
    fs::create_directories(base / "ns");
    std::ofstream(base / "stat") << pid << " (" << comm << ") S " << ppid
                                 << " 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 " << ticks
                                 << " 0 0\n";
    std::ofstream(base / "status") << "Name:\t" << comm << "\nUid:\t" << uid << "\t" << uid << "\t"
                                   << uid << "\t" << uid << "\nGid:\t" << uid + 1 << "\t0\t0\t0\n";
    std::ofstream(base / "ns" / "mnt") << "";
    int n = 3;
    for (const auto& link : links) fs::create_symlink(link, base / "fd" / std::to_string(n++));
  }
  fs::path proc_;
};

TEST_F(SocketOwnersTest, FindsTheProcessHoldingASocketInode) {
  process(100, "sshd", 1, 0, 500, {"/dev/null", "socket:[4711]", "pipe:[9]"});
  process(200, "curl", 150, 1000, 900, {"socket:[4712]"});
  const SocketOwners owners = SocketOwners::scan(proc_.string());
  EXPECT_EQ(owners.sockets(), 2u);
  auto sshd = owners.owner_of(4711);
  ASSERT_TRUE(sshd);
  EXPECT_EQ(sshd->tgid, 100u);
  EXPECT_EQ(sshd->ppid, 1u);
  EXPECT_STREQ(sshd->comm, "sshd");
  auto curl = owners.owner_of(4712);
  ASSERT_TRUE(curl);
  EXPECT_EQ(curl->tgid, 200u);
  EXPECT_EQ(curl->uid, 1000u);
  EXPECT_EQ(curl->gid, 1001u);
  EXPECT_EQ(curl->start_boot_ns, 900 * (1'000'000'000ull / sysconf(_SC_CLK_TCK)));
  struct stat st = {};
  ASSERT_EQ(::stat((proc_ / "200" / "ns" / "mnt").c_str(), &st), 0);
  EXPECT_EQ(curl->mntns, st.st_ino);
  EXPECT_FALSE(owners.owner_of(4713));  // no process holds it
  EXPECT_FALSE(owners.owner_of(0));
}

TEST_F(SocketOwnersTest, ASharedSocketGoesToTheLowestPid) {
  process(310, "worker", 300, 33, 10, {"socket:[77]"});
  process(300, "master", 1, 0, 5, {"socket:[77]"});
  auto owner = SocketOwners::scan(proc_.string()).owner_of(77);
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->tgid, 300u);
}

// The owner's cgroup id is what the kernel would have recorded: the inode of
// its cgroup v2 directory (a scratch tree stands in for the cgroup2 mount);
// its pid inside a pid namespace of its own comes from NSpid.
TEST_F(SocketOwnersTest, TheOwnersCgroupIdAndInnerPidAreFilled) {
  process(500, "nginx", 1, 0, 5, {"socket:[99]"});
  process(600, "sshd", 1, 0, 5, {"socket:[98]"});
  const fs::path cgroups = proc_ / "cgroup2";
  fs::create_directories(cgroups / "system.slice" / "nginx.service");
  std::ofstream(proc_ / "500" / "cgroup") << "0::/system.slice/nginx.service\n";
  std::ofstream(proc_ / "500" / "status", std::ios::app) << "NSpid:\t500\t7\n";
  // A cgroup v1 only process: no v2 line, no id.
  std::ofstream(proc_ / "600" / "cgroup") << "1:name=systemd:/system.slice/ssh.service\n";
  const SocketOwners owners = SocketOwners::scan(proc_.string(), cgroups.string());
  auto nginx = owners.owner_of(99);
  ASSERT_TRUE(nginx);
  struct stat st = {};
  ASSERT_EQ(::stat((cgroups / "system.slice" / "nginx.service").c_str(), &st), 0);
  EXPECT_EQ(nginx->cgroup_id, st.st_ino);
  EXPECT_EQ(nginx->ns_tgid, 7u);
  auto sshd = owners.owner_of(98);
  ASSERT_TRUE(sshd);
  EXPECT_EQ(sshd->cgroup_id, 0u);
  EXPECT_EQ(sshd->ns_tgid, 0u);
  // Without a cgroup2 mount nothing is looked up.
  EXPECT_EQ(SocketOwners::scan(proc_.string()).owner_of(99)->cgroup_id, 0u);
}

TEST(SocketOwnersCgroupPath, TheV2LineIsFoundAmongV1Lines) {
  EXPECT_EQ(SocketOwners::cgroup_v2_path("12:pids:/a\n0::/user.slice/x.scope\n"),
            "/user.slice/x.scope");
  EXPECT_EQ(SocketOwners::cgroup_v2_path("0::/\n"), "/");
  EXPECT_FALSE(SocketOwners::cgroup_v2_path("1:name=systemd:/a\n"));
  EXPECT_FALSE(SocketOwners::cgroup_v2_path(""));
  EXPECT_FALSE(SocketOwners::cgroup_v2_path("0::relative\n"));
  // Seen from a private cgroup namespace: not below the mount, no id.
  EXPECT_FALSE(SocketOwners::cgroup_v2_path("0::/../../kubepods.slice/x.scope\n"));
}

TEST_F(SocketOwnersTest, ACommWithSpacesAndParenthesesIsKept) {
  process(400, "my (odd) name", 1, 0, 5, {"socket:[88]"});
  auto owner = SocketOwners::scan(proc_.string()).owner_of(88);
  ASSERT_TRUE(owner);
  EXPECT_STREQ(owner->comm, "my (odd) name");
  EXPECT_EQ(owner->ppid, 1u);
}

TEST(SocketInodeTest, OnlySocketLinksHaveAnInode) {
  EXPECT_EQ(SocketOwners::socket_inode_of_link("socket:[123456]"), 123456u);
  EXPECT_EQ(SocketOwners::socket_inode_of_link("pipe:[123456]"), 0u);
  EXPECT_EQ(SocketOwners::socket_inode_of_link("socket:[12x]"), 0u);
  EXPECT_EQ(SocketOwners::socket_inode_of_link("socket:[]"), 0u);
  EXPECT_EQ(SocketOwners::socket_inode_of_link("/dev/null"), 0u);
}

}  // namespace
}  // namespace procflow
