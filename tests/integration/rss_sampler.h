// Samples a process's resident memory (VmRSS in /proc/PID/status) at a fixed
// interval from a thread of its own, until stopped: how the soak test sees
// whether procflow's memory stays flat over minutes of churn.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace procflow_it {

struct RssSample {
  std::chrono::milliseconds at;  // since the sampler started
  int64_t kib = 0;
};

// VmRSS of `pid` in KiB; nullopt when the process is gone.
std::optional<int64_t> rss_kib(pid_t pid);

class RssSampler {
 public:
  RssSampler(pid_t pid, std::chrono::milliseconds interval);
  ~RssSampler();  // stops
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  void stop();
  std::vector<RssSample> samples() const;

 private:
  void run();

  pid_t pid_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<RssSample> samples_;
  std::thread thread_;
};

}  // namespace procflow_it
