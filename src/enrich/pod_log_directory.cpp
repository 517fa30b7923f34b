// Pod names from the pod log directory; see pod_log_directory.h.
#include "enrich/pod_log_directory.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace procflow {
namespace {

// More pods and containers than a node runs; a bigger listing is read in part.
constexpr size_t kMaxEntries = 20'000;
constexpr size_t kMaxNameBytes = 255;

std::vector<std::string> list(const std::string& dir, bool directories) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (out.size() >= kMaxEntries) break;
    if (e->d_name[0] == '.') continue;
    if (directories) {
      const bool is_dir =
          e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && [&] {
            struct stat st = {};
            return ::stat((dir + "/" + e->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
          }());
      if (!is_dir) continue;
    }
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

std::optional<std::pair<std::string, PodNames>> parse_pod_directory_name(std::string_view name) {
  if (name.size() > kMaxNameBytes) return std::nullopt;
  const size_t first = name.find('_');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = name.find('_', first + 1);
  if (second == std::string_view::npos || name.find('_', second + 1) != std::string_view::npos)
    return std::nullopt;
  PodNames names;
  names.pod_namespace = std::string(name.substr(0, first));
  names.pod_name = std::string(name.substr(first + 1, second - first - 1));
  std::string uid(name.substr(second + 1));
  if (names.pod_namespace.empty() || names.pod_name.empty() || uid.empty()) return std::nullopt;
  return std::make_pair(std::move(uid), std::move(names));
}

std::optional<std::pair<std::string, std::string>> parse_container_log_name(std::string_view name) {
  constexpr size_t kIdLength = 64;
  if (name.size() > kMaxNameBytes || !name.ends_with(".log")) return std::nullopt;
  name.remove_suffix(4);
  if (name.size() < kIdLength + 2 || name[name.size() - kIdLength - 1] != '-') return std::nullopt;
  const std::string_view id = name.substr(name.size() - kIdLength);
  if (!std::all_of(id.begin(), id.end(), is_lower_hex)) return std::nullopt;
  const std::string_view head = name.substr(0, name.size() - kIdLength - 1);
  // <pod>_<namespace>_<container>
  const size_t first = head.find('_');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = head.find('_', first + 1);
  if (second == std::string_view::npos || second + 1 >= head.size()) return std::nullopt;
  return std::make_pair(std::string(id), std::string(head.substr(second + 1)));
}

PodLogDirectory::PodLogDirectory(std::string pods, Clock::duration rescan_after)
    : pods_dir_(std::move(pods)), rescan_after_(rescan_after) {
  while (pods_dir_.size() > 1 && pods_dir_.back() == '/') pods_dir_.pop_back();
  const size_t slash = pods_dir_.rfind('/');
  containers_dir_ =
      (slash == std::string::npos ? std::string(".") : pods_dir_.substr(0, slash)) + "/containers";
}

void PodLogDirectory::scan_pods() {
  scans_++;
  for (const std::string& entry : list(pods_dir_, true)) {
    auto parsed = parse_pod_directory_name(entry);
    if (!parsed) continue;
    parsed->second.containers = list(pods_dir_ + "/" + entry, true);
    pods_[parsed->first] = std::move(parsed->second);
  }
}

void PodLogDirectory::scan_containers() {
  for (const std::string& entry : list(containers_dir_, false))
    if (auto parsed = parse_container_log_name(entry))
      container_names_[parsed->first] = std::move(parsed->second);
}

const PodNames* PodLogDirectory::pod(const std::string& uid) {
  if (uid.empty()) return nullptr;
  auto it = pods_.find(uid);
  if (it != pods_.end()) return &it->second;
  const Clock::time_point now = Clock::now();
  if (last_pod_scan_ && now - *last_pod_scan_ < rescan_after_) return nullptr;
  last_pod_scan_ = now;
  scan_pods();
  it = pods_.find(uid);
  return it == pods_.end() ? nullptr : &it->second;
}

std::string PodLogDirectory::container_name(const std::string& uid,
                                            const std::string& container_id) {
  auto named = container_names_.find(container_id);
  if (named == container_names_.end()) {
    const Clock::time_point now = Clock::now();
    if (!last_container_scan_ || now - *last_container_scan_ >= rescan_after_) {
      last_container_scan_ = now;
      scan_containers();
      named = container_names_.find(container_id);
    }
  }
  if (named != container_names_.end()) return named->second;
  // A pod with one container: its only directory is that container's.
  const PodNames* p = pod(uid);
  if (p && p->containers.size() == 1) return p->containers.front();
  return "";
}

void PodLogDirectory::forget_removed() {
  for (auto it = pods_.begin(); it != pods_.end();) {
    PodNames& names = it->second;
    const std::string dir =
        pods_dir_ + "/" + names.pod_namespace + "_" + names.pod_name + "_" + it->first;
    struct stat st = {};
    if (::stat(dir.c_str(), &st) != 0) {
      it = pods_.erase(it);
      continue;
    }
    // A pod may gain containers (an ephemeral debug container).
    names.containers = list(dir, true);
    ++it;
  }
  // Read again when asked for an id: the links of removed containers go.
  container_names_.clear();
}

}  // namespace procflow
