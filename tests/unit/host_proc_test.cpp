// Tests the hostPID check: this process's own /proc is its own pid
// namespace; a "host /proc" whose pid 1 is in another namespace (stood in
// for by a scratch tree whose 1/ns/pid is another file) is refused with the
// advice to run with the host's pid namespace.
#include "util/host_proc.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "scratch_tree.h"

namespace procflow {
namespace {

TEST(HostProcTest, OwnProcIsTheSamePidNamespace) {
  // Unit tests may run in a container, where /proc/1 is the container's
  // init: a /proc whose 1/ns/pid is this process's own namespace.
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.mkdir("1/ns");
  ASSERT_EQ(::symlink("/proc/self/ns/pid", tree.path("1/ns/pid").c_str()), 0);
  EXPECT_EQ(host_pid_namespace_problem(tree.root()), "");
}

TEST(HostProcTest, AnotherPidNamespaceIsRefused) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.write("1/ns/pid", "not a namespace");
  const std::string why = host_pid_namespace_problem(tree.root());
  EXPECT_NE(why.find("not in the host's pid namespace"), std::string::npos) << why;
  EXPECT_NE(why.find("hostPID: true"), std::string::npos) << why;
}

TEST(HostProcTest, ADirectoryThatIsNoProcIsRefused) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const std::string why = host_pid_namespace_problem(tree.root());
  EXPECT_NE(why.find("is not a /proc"), std::string::npos) << why;
}

}  // namespace
}  // namespace procflow
