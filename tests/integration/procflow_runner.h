// Runs the binary under test, `procflow trace --format json`, as a black box:
// spawns it, waits for its "tracing started" log line, collects and parses the
// JSON lines it prints, and stops it the way a user does (SIGINT). The
// destructor kills it if a test ended early. Everything it printed is kept for
// failure messages.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "json_line.h"
#include "spawned_process.h"

namespace procflow_it {

// The procflow binary: $PROCFLOW_TEST_BINARY if set, else the one CMake built.
std::string procflow_binary();

class ProcflowRunner {
 public:
  using EventPredicate = std::function<bool(const std::vector<JsonLine>&)>;

  // `procflow <global_args> trace --format json --interfaces IF1,IF2 <extra_args>`; call
  // start(). global_args: options of procflow itself, e.g. {"--log-level", "trace"}.
  ProcflowRunner(const std::vector<std::string>& interfaces, std::vector<std::string> extra_args,
                 std::vector<std::string> global_args = {});
  ~ProcflowRunner();
  ProcflowRunner(const ProcflowRunner&) = delete;
  ProcflowRunner& operator=(const ProcflowRunner&) = delete;

  // Spawns procflow and waits until it logs "tracing started" on stderr.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = 20s);

  pid_t pid() const;
  // Every JSON object printed so far, in order.
  std::vector<JsonLine> events() const;
  // Lines on stdout that were not JSON objects (a contract violation).
  std::vector<std::string> malformed_lines() const;
  // Waits until `predicate(events)` holds; false on timeout.
  bool wait_for(const EventPredicate& predicate, std::chrono::milliseconds timeout = 10s) const;

  // SIGINT, then waits for the exit; SIGKILL after `timeout` (then nullopt).
  std::optional<ExitStatus> stop(std::chrono::milliseconds timeout = 20s);
  // Waits for procflow to exit by itself; nullopt if it still runs after `timeout`.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  // SIGKILL at once, as a crash would (no clean-up by procflow).
  void kill();

  std::string stderr_text() const;
  // Waits until a line procflow logged on stderr contains `text`; false on timeout.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = 10s) const;
  // Command line, status, all stdout lines and stderr, for failure messages.
  std::string describe() const;

 private:
  // Parses raw lines not parsed yet; call with lines from the collector.
  void absorb(const std::vector<std::string>& lines) const;

  std::vector<std::string> argv_;
  std::unique_ptr<SpawnedProcess> process_;
  mutable std::mutex parsed_mutex_;
  mutable size_t parsed_lines_ = 0;
  mutable std::vector<JsonLine> events_;
  mutable std::vector<std::string> malformed_;
};

}  // namespace procflow_it
