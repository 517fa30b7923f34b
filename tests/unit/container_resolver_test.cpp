// Tests ContainerResolver end to end on scratch trees: a kubelet-shaped
// cgroup hierarchy (standing in for the cgroup2 mount: ids are inode
// numbers) and a pod log directory. The process asked about is this test
// itself, so its /proc facts are real: it is in the host's pid namespace
// here, so it has no container_pid. The cgroup v1 cases read a fake /proc
// (FakeProc: <pid>/stat, status, cgroup as the kernel writes them) instead.
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

// A process of a fake /proc: its stat (start time), status (NSpid: pid 48213
// on the host, 7 in its container) and cgroup files, and a ns/pid that is
// not procflow's own (so the resolver reads the files instead of stopping
// at one stat).
class FakeProc {
 public:
  static constexpr uint32_t kPid = 48213;
  static constexpr uint64_t kStartTicks = 98765;

  explicit FakeProc(const test::ScratchTree& tree, const std::string& cgroup_text) : tree_(tree) {
    const std::string dir = "proc/" + std::to_string(kPid) + "/";
    tree.write(dir + "stat", std::to_string(kPid) +
                                 " (python3) S 1 48213 48213 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 "
                                 "1 0 " +
                                 std::to_string(kStartTicks) + " 1000 10\n");
    tree.write(dir + "status", "Name:\tpython3\nTgid:\t48213\nNSpid:\t48213\t7\nNSpgid:\t1\n");
    tree.write(dir + "ns/pid", "");
    set_cgroup(cgroup_text);
  }
  void set_cgroup(const std::string& text) const {
    tree_.write("proc/" + std::to_string(kPid) + "/cgroup", text);
  }
  std::string root() const { return tree_.path("proc"); }
  static uint64_t start_ns() {
    return kStartTicks * (1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
  }

 private:
  const test::ScratchTree& tree_;
};

TEST(ContainerResolverTest, CgroupV1OnlyHostReadsTheProcessesCgroupFile) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  // Docker's cgroupfs driver: one line per v1 hierarchy.
  const FakeProc proc(tree, "12:pids:/docker/" + kId + "\n4:memory:/docker/" + kId +
                                "\n1:name=systemd:/docker/" + kId + "\n");
  // No cgroup v2 mount: no cgroup id can be resolved, so /proc is asked.
  ContainerResolver resolver({"", true, proc.root(), tree.path("pods")});
  const ContainerView v = resolver.resolve(FakeProc::kPid, FakeProc::start_ns(), 0);
  EXPECT_EQ(v.container.container_id, kId);
  EXPECT_EQ(v.container.runtime, ContainerRuntime::docker);
  EXPECT_EQ(v.container.pod_uid, "");
  EXPECT_EQ(v.container_pid, std::optional<uint32_t>(7));
  EXPECT_EQ(resolver.processes_cached(), 1u);
  // Even a cgroup id (v1 ids mean nothing to the resolver) goes to /proc.
  EXPECT_EQ(resolver.resolve(FakeProc::kPid, FakeProc::start_ns(), 4242).container.container_id,
            kId);
}

TEST(ContainerResolverTest, AnotherProcessWithThePidIsNotRead) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const FakeProc proc(tree, "4:memory:/docker/" + kId + "\n");
  ContainerResolver resolver({"", true, proc.root(), tree.path("pods")});
  // An hour off: the process asked about is gone and its pid reused.
  const ContainerView v =
      resolver.resolve(FakeProc::kPid, FakeProc::start_ns() + 3600'000'000'000ull, 0);
  EXPECT_EQ(v.container.container_id, "");
  EXPECT_EQ(v.container_pid, std::nullopt);
}

TEST(ContainerResolverTest, HybridHostAsksTheV1LinesWhenTheV2PathSaysNothing) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  // runc on a hybrid host made only v1 cgroups: the v2 path is a service's.
  const uint64_t service = tree.mkdir("cgroup/system.slice/podman.service");
  const FakeProc proc(tree, "0::/system.slice/podman.service\n5:memory:/machine.slice/libpod-" +
                                kId + ".scope\n1:name=systemd:/machine.slice/libpod-" + kId +
                                ".scope\n");
  ContainerResolver hybrid({tree.path("cgroup"), true, proc.root(), tree.path("pods")});
  const ContainerView v = hybrid.resolve(FakeProc::kPid, FakeProc::start_ns(), service);
  EXPECT_EQ(v.container.container_id, kId);
  EXPECT_EQ(v.container.runtime, ContainerRuntime::podman);
  EXPECT_EQ(v.container_pid, std::optional<uint32_t>(7));

  // With no v1 hierarchy mounted the v2 path is the whole truth: the lines
  // are not read (and a fresh resolver has no cached answer to give).
  ContainerResolver pure_v2({tree.path("cgroup"), false, proc.root(), tree.path("pods")});
  const ContainerView w = pure_v2.resolve(FakeProc::kPid, FakeProc::start_ns(), service);
  EXPECT_EQ(w.container.container_id, "");
  EXPECT_EQ(w.container_pid, std::optional<uint32_t>(7));
}

TEST(ContainerResolverTest, FactsReadWithoutTheCgroupAreReadAgainWhenItIsNeeded) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const uint64_t id = tree.mkdir("cgroup/system.slice/docker-" + kId + ".scope");
  const FakeProc proc(tree, "0::/system.slice/docker-" + kId + ".scope\n");
  ContainerResolver resolver({tree.path("cgroup"), false, proc.root(), tree.path("pods")});
  // A record: the v2 path names the container, /proc gives only the pid.
  const ContainerView first = resolver.resolve(FakeProc::kPid, FakeProc::start_ns(), id);
  EXPECT_EQ(first.container.container_id, kId);
  EXPECT_EQ(first.container_pid, std::optional<uint32_t>(7));
  // The same process found by the walk of /proc (no cgroup id): now its
  // cgroup file is needed, and must be read although the process is cached.
  const ContainerView walked = resolver.resolve(FakeProc::kPid, FakeProc::start_ns(), 0);
  EXPECT_EQ(walked.container.container_id, kId);
  EXPECT_EQ(walked.container.runtime, ContainerRuntime::docker);
  EXPECT_EQ(walked.container_pid, std::optional<uint32_t>(7));
  EXPECT_EQ(resolver.processes_cached(), 1u);
  // Read once: a changed file is not read again for the same process.
  proc.set_cgroup("0::/system.slice/ssh.service\n");
  EXPECT_EQ(resolver.resolve(FakeProc::kPid, FakeProc::start_ns(), 0).container.container_id, kId);
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
