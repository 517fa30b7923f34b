// Tests ContainerResolver end to end on scratch trees: a kubelet-shaped
// cgroup hierarchy (standing in for the cgroup2 mount: ids are inode
// numbers) and a pod log directory. The process asked about is this test
// itself, so its /proc facts are real: it is in the host's pid namespace
// here, so it has no container_pid.
#include "enrich/container_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "enrich/process_pid_namespace.h"
#include "scratch_tree.h"

namespace procflow {
namespace {

const std::string kUid = "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b";
const std::string kId = "2f0d4d3c8b1e4a6f9c7d5e3b1a0f8e6d4c2b0a9f8e7d6c5b4a3928170615f4e3";

uint64_t own_start_ns() {
  std::ifstream in("/proc/self/stat");
  std::stringstream text;
  text << in.rdbuf();
  return start_ns_from_stat(text.str()).value_or(0);
}

bool own_pid_namespace_is_the_initial_one() {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  return !inner_pid_from_status(text.str());
}

TEST(ContainerResolverTest, SystemdDriverPodContainer) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir(
      "cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8e4f1c2a_3b5d_4e6f_"
      "9a0b_1c2d3e4f5a6b.slice/cri-containerd-" +
      kId + ".scope");
  tree.write("pods/shop_web-7d9f_" + kUid + "/web/0.log", "");
  ContainerResolver resolver({tree.path("cgroup"), false, "/proc", tree.path("pods")});
  const ContainerView v = resolver.resolve(static_cast<uint32_t>(getpid()), own_start_ns(), id);
  EXPECT_EQ(v.container.container_id, kId);
  EXPECT_EQ(v.container.runtime, ContainerRuntime::containerd);
  EXPECT_EQ(v.container.pod_uid, kUid);
  EXPECT_EQ(v.pod_name, "web-7d9f");
  EXPECT_EQ(v.pod_namespace, "shop");
  EXPECT_EQ(v.container_name, "web");
  if (own_pid_namespace_is_the_initial_one()) {
    EXPECT_EQ(v.container_pid, std::nullopt);
  }
}

TEST(ContainerResolverTest, CgroupfsDriverWithoutPodLogs) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/kubepods/besteffort/pod" + kUid + "/" + kId);
  ContainerResolver resolver({tree.path("cgroup"), false, "/proc", tree.path("no-pods")});
  const ContainerView v = resolver.resolve(0, 0, id);
  EXPECT_EQ(v.container.container_id, kId);
  EXPECT_EQ(v.container.runtime, ContainerRuntime::unknown);
  EXPECT_EQ(v.container.pod_uid, kUid);
  EXPECT_EQ(v.pod_name, "");
  EXPECT_EQ(v.container_name, "");
}

TEST(ContainerResolverTest, HostProcessesHaveNoContainer) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/system.slice/ssh.service");
  ContainerResolver resolver({tree.path("cgroup"), false, "/proc", tree.path("pods")});
  const ContainerView v = resolver.resolve(static_cast<uint32_t>(getpid()), own_start_ns(), id);
  EXPECT_EQ(v.container.container_id, "");
  EXPECT_EQ(v.pod_name, "");
  EXPECT_EQ(resolver.resolve(0, 0, 424242).container.container_id, "") << "an unknown cgroup";
}

TEST(ContainerResolverTest, RemovedCgroupsAreForgotten) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/docker/" + kId);
  ContainerResolver resolver({tree.path("cgroup"), false, "/proc", tree.path("pods")});
  EXPECT_EQ(resolver.resolve(0, 0, id).container.runtime, ContainerRuntime::docker);
  const size_t cached = resolver.cgroups_cached();
  EXPECT_GE(cached, 1u);
  tree.remove("cgroup/docker/" + kId);
  resolver.forget_removed();
  EXPECT_LT(resolver.cgroups_cached(), cached);
  EXPECT_EQ(resolver.resolve(0, 0, id).container.container_id, "");
}

TEST(ContainerResolverTest, TheKernelsPidNeedsNoProcRead) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/machine.slice/libpod-" + kId + ".scope");
  ContainerResolver resolver({tree.path("cgroup"), false, "/proc", tree.path("pods")});
  // A pid no process has: only the kernel's answer can name it.
  const ContainerView v = resolver.resolve(4194304, 1, id, 7);
  EXPECT_EQ(v.container.container_id, kId);
  EXPECT_EQ(v.container_pid, std::optional<uint32_t>(7));
  EXPECT_EQ(resolver.processes_cached(), 0u) << "nothing was read from /proc";
}

TEST(ContainerResolverTest, ProcessFactsAreReadOnceAndForgottenWithTheProcess) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/system.slice");
  ContainerResolver resolver({tree.path("cgroup"), true, "/proc", tree.path("pods")});
  const uint32_t pid = static_cast<uint32_t>(getpid());
  resolver.resolve(pid, own_start_ns(), id);
  resolver.resolve(pid, own_start_ns(), id);
  EXPECT_EQ(resolver.processes_cached(), 1u);
  resolver.forget_processes({GoneProcess{pid, own_start_ns() + 1}});
  EXPECT_EQ(resolver.processes_cached(), 0u);
}

}  // namespace
}  // namespace procflow
