// Pod names from the node's pod log directory. The kubelet makes
// /var/log/pods/<namespace>_<pod name>_<pod uid>/<container name>/ for every
// pod and container it runs, and /var/log/containers/<pod>_<namespace>_
// <container>-<container id>.log links beside it: enough to name the pod,
// its namespace and the container without asking the API server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace procflow {

struct PodNames {
  std::string pod_namespace, pod_name;
  std::vector<std::string> containers;  // the pod's container directories
  bool operator==(const PodNames&) const = default;
};

// "<namespace>_<pod name>_<pod uid>" split; nullopt for any other name.
// Neither a namespace, a pod name nor a uid can hold '_'.
std::optional<std::pair<std::string, PodNames>> parse_pod_directory_name(std::string_view name);

// "<pod>_<namespace>_<container>-<64 hex id>.log": the container id and name.
std::optional<std::pair<std::string, std::string>> parse_container_log_name(std::string_view name);

class PodLogDirectory {
 public:
  using Clock = std::chrono::steady_clock;
  // `pods`: the pod log directory. A directory that does not exist names no
  // pods (a host that is not a Kubernetes node); it is not an error. Its
  // sibling "containers" gives container names when a pod has several.
  explicit PodLogDirectory(std::string pods,
                           Clock::duration rescan_after = std::chrono::seconds(1));

  // The pod with this uid; read again when unknown (at most once per
  // rescan_after, so a flood of unknown uids costs one listing each time).
  const PodNames* pod(const std::string& uid);
  // The container's name: the containers link with its id, or the pod's
  // only container directory. "" when neither says.
  std::string container_name(const std::string& uid, const std::string& container_id);
  // Forgets pods whose directory is gone.
  void forget_removed();

  size_t cached() const { return pods_.size(); }
  uint64_t scans() const { return scans_; }

 private:
  void scan_pods();
  void scan_containers();

  std::string pods_dir_, containers_dir_;
  Clock::duration rescan_after_;
  std::optional<Clock::time_point> last_pod_scan_, last_container_scan_;
  std::unordered_map<std::string, PodNames> pods_;                // by uid
  std::unordered_map<std::string, std::string> container_names_;  // by container id
  uint64_t scans_ = 0;
};

}  // namespace procflow
