// Waiting for a bound socket; see listen_wait.h.
#include "listen_wait.h"

#include <thread>

namespace procflow_it {

bool wait_for_listener(SpawnedProcess& process, const std::string& ip, int port,
                       Transport transport, std::chrono::milliseconds timeout,
                       const std::vector<std::string>& launcher) {
  const std::string address =
      (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
  const std::string kind = transport == Transport::tcp ? "-Hltn" : "-Hlun";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.wait(0ms)) return false;  // it exited: it will never listen
    std::vector<std::string> argv = launcher;
    argv.insert(argv.end(), {"ss", kind, "src", address});
    CommandResult ss = run_command(argv);
    if (ss.ok() && !ss.out.empty()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace procflow_it
