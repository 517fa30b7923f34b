// Resident-memory samples of a running process; see rss_sampler.h.
#include "rss_sampler.h"

#include <fstream>
#include <string>

namespace procflow_it {

std::optional<int64_t> rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));  // "VmRSS:  1234 kB"
  }
  return std::nullopt;
}

RssSampler::RssSampler(pid_t pid, std::chrono::milliseconds interval)
    : pid_(pid), interval_(interval), started_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { run(); });
}

RssSampler::~RssSampler() {
  stop();
}

void RssSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<RssSample> RssSampler::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

void RssSampler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto kib = rss_kib(pid_);
    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_);
    lock.lock();
    if (kib) samples_.push_back(RssSample{at, *kib});
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace procflow_it
