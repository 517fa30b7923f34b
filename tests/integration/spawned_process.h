// A child process started with posix_spawn (never system()), so the test knows
// its exact pid: the pid procflow must report. Its stdout and stderr are
// collected line by line; the destructor kills the child's whole process group
// if it is still running, so no helper outlives its test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "line_collector.h"

namespace procflow_it {

using namespace std::chrono_literals;

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;

  bool success() const { return exited && code == 0; }
  std::string describe() const;
};

class SpawnedProcess {
 public:
  // Starts argv[0] (looked up in PATH) in its own process group, stdin from
  // /dev/null. Throws std::runtime_error when the spawn itself fails.
  explicit SpawnedProcess(std::vector<std::string> argv);
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  std::string command_line() const;

  const LineCollector& out() const { return *stdout_; }
  const LineCollector& err() const { return *stderr_; }

  // Sends `sig` to the process itself (not its group).
  void signal(int sig) const;
  // Waits for the exit; nullopt if it is still running after `timeout`.
  // After an exit, waits briefly for both pipes to reach EOF.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  // The exit status once reaped by wait().
  const std::optional<ExitStatus>& status() const { return status_; }
  // SIGKILLs the whole process group and reaps the child.
  void kill_group();

  // A readable account of the child for failure messages.
  std::string describe() const;

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<ExitStatus> status_;
  std::unique_ptr<LineCollector> stdout_;
  std::unique_ptr<LineCollector> stderr_;
};

// True while a process with this pid exists (also one we may not signal).
bool pid_alive(long pid);

// Runs a command to completion (used for ip/tc/bpftool plumbing).
struct CommandResult {
  pid_t pid = -1;
  std::optional<ExitStatus> status;  // nullopt: timed out (the child was killed)
  std::string out;
  std::string err;

  bool ok() const { return status && status->success(); }
  std::string describe(const std::vector<std::string>& argv) const;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 20s);

}  // namespace procflow_it
