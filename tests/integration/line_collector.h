// Collects the lines a child process writes to one pipe, on a background
// thread, so tests can wait for a line to appear (with a timeout) instead of
// sleeping, and can print everything the child said when an assertion fails.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace procflow_it {

class LineCollector {
 public:
  // Takes ownership of `fd` (the read end of a pipe) and starts reading.
  explicit LineCollector(int fd);
  ~LineCollector();
  LineCollector(const LineCollector&) = delete;
  LineCollector& operator=(const LineCollector&) = delete;

  // Complete lines so far (without '\n'); a trailing partial line is added at EOF.
  std::vector<std::string> lines() const;
  // Number of complete lines so far.
  size_t size() const;
  // All lines joined with '\n'.
  std::string text() const;
  bool closed() const;

  // Waits until `predicate(lines)` holds or the timeout passes; returns whether it held.
  bool wait_for(const std::function<bool(const std::vector<std::string>&)>& predicate,
                std::chrono::milliseconds timeout) const;
  // Waits until `times` lines contain `text` (a log line of a service, e.g.
  // "reloaded:" after the second SIGHUP: times 2).
  bool wait_for_text(const std::string& text, size_t times,
                     std::chrono::milliseconds timeout) const;
  // Waits until the writer side is closed (EOF seen).
  bool wait_closed(std::chrono::milliseconds timeout) const;

 private:
  void run();

  int fd_;
  int stop_fd_;  // eventfd that wakes the reader thread for shutdown
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::string partial_;
  bool closed_ = false;
  std::thread reader_;
};

}  // namespace procflow_it
