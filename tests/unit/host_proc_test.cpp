// Tests the hostPID check: a /proc names its reader by its pid in that
// /proc's pid namespace. This process's own /proc passes; a "host /proc"
// (a scratch tree) whose self is another pid, as a host's /proc shows a
// process of a child pid namespace, is refused with the advice to run with
// the host's pid namespace; a directory without self is no /proc.
#include "util/host_proc.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "scratch_tree.h"

namespace procflow {
namespace {

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
