// Container ids and pod uids from cgroup paths; see container_cgroup.h.
#include "enrich/container_cgroup.h"

#include <array>
#include <vector>

namespace procflow {
namespace {

constexpr size_t kIdLength = 64;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_container_id(std::string_view s) {
  if (s.size() != kIdLength) return false;
  for (char c : s)
    if (!is_lower_hex(c)) return false;
  return true;
}

std::string_view without_suffix(std::string_view s, std::string_view suffix) {
  return s.ends_with(suffix) ? s.substr(0, s.size() - suffix.size()) : s;
}

// A scope the runtimes name "<prefix><id>.scope" (systemd driver), or
// "<prefix><id>" (CRI-O and podman with the cgroupfs driver). The runtimes'
// monitor processes (crio-conmon-, libpod-conmon-) are not in the container
// and do not match: their remainder is not an id.
struct Prefix {
  std::string_view text;
  ContainerRuntime runtime;
};
constexpr std::array<Prefix, 4> kPrefixes{{
    {"cri-containerd-", ContainerRuntime::containerd},
    {"crio-", ContainerRuntime::crio},
    {"docker-", ContainerRuntime::docker},
    {"libpod-", ContainerRuntime::podman},
}};

// A pod's cgroup: "pod<uid>" (cgroupfs driver, uid with dashes) or
// "...-pod<uid>.slice" (systemd driver, which writes the uid's dashes as '_'
// because '-' separates its slice levels). The uid, normalised to dashes, or
// "" when the component is not a pod's.
std::string pod_uid_of(std::string_view component) {
  std::string_view uid;
  if (component.starts_with("pod")) {
    uid = component.substr(3);
  } else if (component.ends_with(".slice")) {
    const std::string_view name = without_suffix(component, ".slice");
    const size_t at = name.rfind("-pod");
    if (at == std::string_view::npos || name.find("kubepods") == std::string_view::npos) return "";
    uid = name.substr(at + 4);
  } else {
    return "";
  }
  // A uid is 32 hex digits, with dashes as a UUID (8-4-4-4-12) or, for a
  // static pod, without (the hash of its manifest).
  if (uid.size() != 32 && uid.size() != 36) return "";
  std::string out;
  out.reserve(uid.size());
  size_t digits = 0;
  for (char c : uid) {
    if (c == '_' || c == '-') {
      out.push_back('-');
    } else if (is_lower_hex(c)) {
      out.push_back(c);
      digits++;
    } else {
      return "";
    }
  }
  if (digits != 32) return "";
  if (uid.size() == 36) {
    for (size_t dash : {8u, 13u, 18u, 23u})
      if (out[dash] != '-') return "";
  }
  return out;
}

// The container a component names, given the component above it.
std::optional<ContainerRef> container_of(std::string_view component, std::string_view parent,
                                         bool under_pod) {
  const std::string_view name = without_suffix(component, ".scope");
  for (const Prefix& p : kPrefixes) {
    if (name.starts_with(p.text) && is_container_id(name.substr(p.text.size())))
      return ContainerRef{std::string(name.substr(p.text.size())), p.runtime, ""};
  }
  // A bare id is believed only where runtimes put one: Docker's own
  // "/docker/<id>", and a pod's cgroup with the kubelet's cgroupfs driver
  // (containerd or Docker: the path does not say which).
  if (name == component && is_container_id(name)) {
    if (parent == "docker") return ContainerRef{std::string(name), ContainerRuntime::docker, ""};
    if (under_pod) return ContainerRef{std::string(name), ContainerRuntime::unknown, ""};
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ContainerRuntime runtime) {
  switch (runtime) {
    case ContainerRuntime::containerd:
      return "containerd";
    case ContainerRuntime::crio:
      return "cri-o";
    case ContainerRuntime::docker:
      return "docker";
    case ContainerRuntime::podman:
      return "podman";
    case ContainerRuntime::unknown:
      break;
  }
  return "";
}

std::optional<ContainerRef> container_from_cgroup_path(std::string_view path) {
  if (path.size() > kMaxCgroupPathBytes) return std::nullopt;
  std::optional<ContainerRef> found;
  std::string pod_uid;  // of the nearest pod cgroup above the current component
  bool in_kubepods = false;
  std::string_view parent;
  size_t components = 0;
  size_t pos = 0;
  while (pos <= path.size()) {
    const size_t slash = path.find('/', pos);
    const std::string_view component =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    pos = slash == std::string_view::npos ? path.size() + 1 : slash + 1;
    if (component.empty()) continue;
    if (++components > kMaxCgroupPathComponents) return std::nullopt;
    // Nested runtimes (a kind node is a container whose kubelet makes
    // containers): the innermost container, with the pod that holds it.
    if (auto c = container_of(component, parent, !pod_uid.empty())) {
      c->pod_uid = pod_uid;
      found = std::move(c);
    } else if (component.find("kubepods") != std::string_view::npos) {
      in_kubepods = true;
      // The systemd driver's pod slice names kubepods itself.
      if (std::string uid = pod_uid_of(component); !uid.empty()) pod_uid = std::move(uid);
    } else if (in_kubepods) {
      if (std::string uid = pod_uid_of(component); !uid.empty()) pod_uid = std::move(uid);
    }
    parent = component;
  }
  return found;
}

std::optional<ContainerRef> container_from_proc_cgroup(std::string_view text) {
  // Far more hierarchies than a kernel has; longer text names nothing.
  constexpr size_t kMaxLines = 64;
  if (text.size() > kMaxLines * (kMaxCgroupPathBytes + 64)) return std::nullopt;
  std::vector<std::string_view> paths;  // v2 first
  size_t pos = 0;
  while (pos < text.size() && paths.size() <= kMaxLines) {
    const size_t eol = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view path = line.substr(second + 1);
    if (line.substr(0, first) == "0" && second == first + 1)
      paths.insert(paths.begin(), path);
    else
      paths.push_back(path);
  }
  for (std::string_view path : paths)
    if (auto c = container_from_cgroup_path(path)) return c;
  return std::nullopt;
}

}  // namespace procflow
