// Tests the hostPID check: a /proc names its reader by its pid in that
// /proc's pid namespace. This process's own /proc passes; a "host /proc"
// (a scratch tree) whose self is another pid, as a host's /proc shows a
// process of a child pid namespace, is refused with the advice to run with
// the host's pid namespace; a directory without self is no /proc. And the
// check that always runs: procflow's own pid namespace, from its NSpid line
// and its pid namespace's inode, must be the initial one.
#include "util/host_proc.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch_tree.h"

namespace procflow {
namespace {

constexpr std::string_view kHostStatus =
    "Name:\tprocflow\nTgid:\t4242\nNSpid:\t4242\nNSpgid:\t4242\n";

TEST(HostProcTest, TheInitialPidNamespacePasses) {
  // The host, or a hostPID container (which shares the initial namespace,
  // so its own /proc shows one pid too).
  EXPECT_EQ(own_pid_namespace_problem(kHostStatus, kInitialPidNamespaceInode), "");
  EXPECT_EQ(kInitialPidNamespaceInode, 4026531836u);
}

TEST(HostProcTest, AContainersOwnProcIsToldByTheInode) {
  // `unshare --pid --fork --mount-proc`, a container without hostPID: its
  // own /proc shows only its inner pid, but the namespace is another one.
  const std::string why = own_pid_namespace_problem("Name:\tprocflow\nNSpid:\t1\n", 4026532178);
  EXPECT_EQ(why,
            "procflow is not in the host's pid namespace (its pid namespace is pid:[4026532178], "
            "the host's pid:[4026531836]): the kernel reports host pids, so run it with the "
            "host's pid namespace (Kubernetes: hostPID: true; podman/docker: --pid=host)");
}

TEST(HostProcTest, AParentsProcIsToldByTheNSpidLine) {
  // A /proc of a namespace above procflow's lists every pid down to its own;
  // that alone decides, even when the inode could not be read.
  const std::string expected =
      "procflow is not in the host's pid namespace (it is pid 48213 in the pid namespace of "
      "/proc and pid 7 in its own): the kernel reports host pids, so run it with the host's pid "
      "namespace (Kubernetes: hostPID: true; podman/docker: --pid=host)";
  EXPECT_EQ(own_pid_namespace_problem("Name:\tx\nNSpid:\t48213\t977\t7\nNSpgid:\t1\n", 0),
            expected);
  EXPECT_EQ(own_pid_namespace_problem("NSpid:\t48213 7", kInitialPidNamespaceInode), expected)
      << "first line, blanks, no final newline";
}

TEST(HostProcTest, NothingToldIsNoProblem) {
  // Kernels before 4.1 have no NSpid line; an unreadable link gives inode 0.
  EXPECT_EQ(own_pid_namespace_problem("Name:\tx\nTgid:\t9\n", 0), "");
  EXPECT_EQ(own_pid_namespace_problem("", kInitialPidNamespaceInode), "");
  EXPECT_EQ(own_pid_namespace_problem("Name:\tNSpid:\t1\t2\n", 0), "")
      << "only a line that starts with NSpid";
}

TEST(HostProcTest, ThisProcessIsJudgedByItsOwnProc) {
  // On the host this passes; in a container without hostPID it must not.
  struct stat st = {};
  ASSERT_EQ(::stat("/proc/self/ns/pid", &st), 0);
  EXPECT_EQ(own_pid_namespace_problem().empty(), st.st_ino == kInitialPidNamespaceInode)
      << own_pid_namespace_problem();
}

TEST(HostProcTest, OwnProcIsTheSamePidNamespace) {
  EXPECT_EQ(host_pid_namespace_problem("/proc", getpid()), "");
}

TEST(HostProcTest, AnotherPidNamespaceIsRefused) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  ASSERT_EQ(::symlink("48213", tree.path("self").c_str()), 0);
  const std::string why = host_pid_namespace_problem(tree.root(), 7);
  EXPECT_NE(why.find("not in the host's pid namespace (it is pid 48213"), std::string::npos) << why;
  EXPECT_NE(why.find("hostPID: true"), std::string::npos) << why;
  ASSERT_EQ(::unlink(tree.path("self").c_str()), 0);
  ASSERT_EQ(::symlink("7", tree.path("self").c_str()), 0);
  EXPECT_EQ(host_pid_namespace_problem(tree.root(), 7), "");
}

TEST(HostProcTest, ADirectoryThatIsNoProcIsRefused) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const std::string why = host_pid_namespace_problem(tree.root(), getpid());
  EXPECT_NE(why.find("is not a /proc"), std::string::npos) << why;
  EXPECT_NE(why.find("hostPID: true"), std::string::npos) << why;
}

}  // namespace
}  // namespace procflow
