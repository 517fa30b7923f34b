// Tests the cgroup path parser against the shapes the kubelet's two cgroup
// drivers, containerd, CRI-O, Docker and podman make (cgroup v2 paths and v1
// /proc/<pid>/cgroup lines), and against paths that must name nothing.
#include "enrich/container_cgroup.h"

#include <gtest/gtest.h>

#include <string>

namespace procflow {
namespace {

const std::string kId = "2f0d4d3c8b1e4a6f9c7d5e3b1a0f8e6d4c2b0a9f8e7d6c5b4a3928170615f4e3";
const std::string kUid = "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b";
const std::string kUidUnderscores = "8e4f1c2a_3b5d_4e6f_9a0b_1c2d3e4f5a6b";

struct Shape {
  const char* what;
  std::string path;
  std::optional<ContainerRef> expected;
};

ContainerRef ref(ContainerRuntime runtime, std::string pod_uid = "") {
  return ContainerRef{kId, runtime, std::move(pod_uid)};
}

TEST(ContainerCgroupTest, PathShapes) {
  using R = ContainerRuntime;
  const std::vector<Shape> shapes = {
      {"systemd driver, containerd, burstable",
       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores +
           ".slice/cri-containerd-" + kId + ".scope",
       ref(R::containerd, kUid)},
      {"systemd driver, CRI-O, besteffort",
       "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores +
           ".slice/crio-" + kId + ".scope",
       ref(R::crio, kUid)},
      {"systemd driver, guaranteed QoS (no QoS slice)",
       "/kubepods.slice/kubepods-pod" + kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope",
       ref(R::containerd, kUid)},
      {"systemd driver, cri-dockerd",
       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores +
           ".slice/docker-" + kId + ".scope",
       ref(R::docker, kUid)},
      {"cgroupfs driver, containerd or Docker (bare id)",
       "/kubepods/besteffort/pod" + kUid + "/" + kId, ref(R::unknown, kUid)},
      {"cgroupfs driver, guaranteed", "/kubepods/pod" + kUid + "/" + kId, ref(R::unknown, kUid)},
      {"cgroupfs driver, CRI-O", "/kubepods/burstable/pod" + kUid + "/crio-" + kId,
       ref(R::crio, kUid)},
      {"static pod: the uid is a hash without dashes",
       "/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" + kId,
       ContainerRef{kId, R::unknown, "0123456789abcdef0123456789abcdef"}},
      {"kind: a kubelet inside a Docker container, the inner container wins",
       "/system.slice/docker-" + std::string(64, 'a') +
           ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
           "kubelet-kubepods-besteffort-pod" +
           kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope",
       ref(R::containerd, kUid)},
      {"Docker, systemd driver", "/system.slice/docker-" + kId + ".scope", ref(R::docker)},
      {"Docker, cgroupfs driver", "/docker/" + kId, ref(R::docker)},
      {"podman, systemd", "/machine.slice/libpod-" + kId + ".scope", ref(R::podman)},
      {"podman, a child cgroup of the container",
       "/machine.slice/libpod-" + kId + ".scope/container", ref(R::podman)},
      {"podman 4.3 + runc, cgroupfs manager, on a hybrid host (its v2 and v1 lines)",
       "/libpod_parent/libpod-" + kId, ref(R::podman)},
      {"rootless podman",
       "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
       ref(R::podman)},
      {"a process inside its container's cgroup namespace", "/", std::nullopt},
      {"the host's root cgroup", "/", std::nullopt},
      {"a systemd service", "/system.slice/ssh.service", std::nullopt},
      {"podman's monitor is not in the container", "/machine.slice/libpod-conmon-" + kId + ".scope",
       std::nullopt},
      {"CRI-O's monitor is not in the container",
       "/kubepods.slice/kubepods-pod" + kUidUnderscores + ".slice/crio-conmon-" + kId + ".scope",
       std::nullopt},
      {"the pod's own cgroup holds no container",
       "/kubepods.slice/kubepods-pod" + kUidUnderscores + ".slice", std::nullopt},
      {"an id one digit short", "/docker/" + kId.substr(1), std::nullopt},
      {"an id with upper case", "/system.slice/docker-" + std::string(64, 'A') + ".scope",
       std::nullopt},
      {"a bare id outside docker and pods", "/system.slice/" + kId, std::nullopt},
      {"a pod uid with a wrong dash", "/kubepods/pod8e4f1c2a3-b5d-4e6f-9a0b-1c2d3e4f5a6b/" + kId,
       std::nullopt},
      {"a pod name outside kubepods is no pod", "/pod" + kUid + "/docker-" + kId + ".scope",
       ref(R::docker)},
      {"empty", "", std::nullopt},
      {"slashes only", "////", std::nullopt},
  };
  for (const Shape& s : shapes) {
    SCOPED_TRACE(s.what);
    EXPECT_EQ(container_from_cgroup_path(s.path), s.expected) << s.path;
  }
}

TEST(ContainerCgroupTest, RuntimeNames) {
  EXPECT_EQ(to_string(ContainerRuntime::containerd), "containerd");
  EXPECT_EQ(to_string(ContainerRuntime::crio), "cri-o");
  EXPECT_EQ(to_string(ContainerRuntime::docker), "docker");
  EXPECT_EQ(to_string(ContainerRuntime::podman), "podman");
  EXPECT_EQ(to_string(ContainerRuntime::unknown), "");
}

TEST(ContainerCgroupTest, OverlongAndOverdeepPathsNameNothing) {
  const std::string deep = [] {
    std::string p;
    for (size_t i = 0; i < kMaxCgroupPathComponents; i++) p += "/x";
    return p;
  }();
  EXPECT_EQ(container_from_cgroup_path(deep + "/docker-" + kId + ".scope"), std::nullopt);
  EXPECT_EQ(
      container_from_cgroup_path("/" + std::string(kMaxCgroupPathBytes, 'a') + "/docker/" + kId),
      std::nullopt);
  // One component less is still believed.
  EXPECT_TRUE(container_from_cgroup_path(deep.substr(2) + "/docker-" + kId + ".scope"));
}

TEST(ContainerCgroupTest, ProcCgroupOfAHybridHostWithV1Only) {
  // runc on a hybrid host: the container's cgroups are in the v1 hierarchies
  // only, its v2 line stays at the root.
  const std::string text = "12:pids:/machine.slice/libpod-" + kId +
                           ".scope\n"
                           "4:memory:/machine.slice/libpod-" +
                           kId +
                           ".scope\n"
                           "1:name=systemd:/machine.slice/libpod-" +
                           kId + ".scope\n0::/\n";
  EXPECT_EQ(container_from_proc_cgroup(text), ref(ContainerRuntime::podman));
}

TEST(ContainerCgroupTest, ProcCgroupPrefersTheV2Line) {
  const std::string other(64, 'b');
  const std::string text =
      "4:memory:/docker/" + other + "\n0::/system.slice/docker-" + kId + ".scope\n";
  EXPECT_EQ(container_from_proc_cgroup(text), ref(ContainerRuntime::docker));
}

TEST(ContainerCgroupTest, ProcCgroupOfAHostProcessAndJunk) {
  EXPECT_EQ(container_from_proc_cgroup("0::/user.slice/user-0.slice/session-1.scope\n"),
            std::nullopt);
  EXPECT_EQ(container_from_proc_cgroup(""), std::nullopt);
  EXPECT_EQ(container_from_proc_cgroup("no colons here\n::\n:\n0:\n"), std::nullopt);
  // The path may hold ':' (a cgroup name may): only the first two separate.
  EXPECT_EQ(container_from_proc_cgroup("0::/docker/" + kId + "\n"), ref(ContainerRuntime::docker));
  EXPECT_EQ(container_from_proc_cgroup("0::/a:b/docker-" + kId + ".scope"),
            ref(ContainerRuntime::docker));
}

}  // namespace
}  // namespace procflow
