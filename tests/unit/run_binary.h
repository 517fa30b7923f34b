// Runs a program to its end, as the command-line tests need it: started with posix_spawn (never
// system(), so no shell reinterprets an argument such as ''), stdin from /dev/null, stdout and
// stderr captured, and stopped if it outlives a deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace procflow {

struct BinaryRun {
  bool exited = false;     // false: it died of a signal, or was stopped at the deadline
  int exit_status = -1;    // when exited
  bool timed_out = false;  // still running at the deadline (then sent SIGTERM, later SIGKILL)
  std::string out;
  std::string err;

  // "exit 2; stderr: ...; stdout: ...", for failure messages.
  std::string describe() const;
};

// argv[0] is a path (no PATH search). The child gets its own process group, so whatever it
// starts is stopped with it. Throws std::runtime_error when it cannot be started.
BinaryRun run_binary(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

}  // namespace procflow
