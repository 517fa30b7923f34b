// Real cgroup v2 directories for a test, under a root of its own on the
// cgroup2 mount (found in /proc/self/mountinfo, independently of procflow):
// shaped like the kubelet's or a runtime's, so procflow reads container ids
// and pod uids from real cgroup ids. Removed, deepest first, when the test
// ends; the processes in them must be gone by then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace procflow_it {

// The cgroup2 mount point; "" when cgroup v2 is not mounted.
std::string cgroup2_mount();

class TestCgroups {
 public:
  // Makes <mount>/procflow-it-<pid>; ok() says whether it could.
  TestCgroups();
  ~TestCgroups();
  TestCgroups(const TestCgroups&) = delete;
  TestCgroups& operator=(const TestCgroups&) = delete;

  bool ok() const { return !root_.empty(); }
  // The test root's path below the mount, e.g. "/procflow-it-4242".
  std::string root_below_mount() const;
  // Makes `rel` (slash-separated) and its parents below the test root;
  // returns its absolute directory, "" on failure.
  std::string make(const std::string& rel);

 private:
  std::string mount_, root_;
  std::vector<std::string> made_;  // in creation order
};

// 64 random lowercase hex digits (a container id), and a random pod uid in
// the API server's form (8-4-4-4-12).
std::string random_container_id();
std::string random_pod_uid();

}  // namespace procflow_it
