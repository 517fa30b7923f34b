// Which container, and which Kubernetes pod, a cgroup path names. Container
// runtimes and the kubelet put every container in a cgroup of its own whose
// path carries the container id (and, under kubepods, the pod uid); procflow
// reads it back from the path, the only place the kernel keeps it.
//
// The text is untrusted-ish (a cgroup's name is chosen by whoever may create
// cgroups), so parsing is bounded and only exact shapes are believed: a
// 64-digit lowercase hex id behind a known prefix, a pod uid of 32 hex digits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// `unknown`: the path names a container but not who made it (the cgroupfs
// driver of the kubelet writes a bare id for containerd and Docker alike).
enum class ContainerRuntime : uint8_t { unknown, containerd, crio, docker, podman };

// "containerd", "cri-o", "docker", "podman"; "" for unknown.
std::string_view to_string(ContainerRuntime runtime);

struct ContainerRef {
  std::string container_id;  // 64 lowercase hex digits
  ContainerRuntime runtime = ContainerRuntime::unknown;
  std::string pod_uid;  // as the API server writes it (dashes); "" outside a pod

  bool operator==(const ContainerRef&) const = default;
};

// Longest path and deepest nesting believed; anything beyond names nothing.
inline constexpr size_t kMaxCgroupPathBytes = 4096;
inline constexpr size_t kMaxCgroupPathComponents = 64;

// The innermost container a cgroup path (v1 or v2, "/a/b/c") names, with the
// uid of the pod above it; nullopt when the path names no container.
std::optional<ContainerRef> container_from_cgroup_path(std::string_view path);

// The same from the text of /proc/<pid>/cgroup ("ID:CONTROLLERS:PATH" lines):
// the cgroup v2 line first, then the v1 hierarchies in order.
std::optional<ContainerRef> container_from_proc_cgroup(std::string_view text);

}  // namespace procflow
