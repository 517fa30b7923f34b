#include "http_ready.h"

#include <httplib.h>

#include <thread>

namespace procflow_it {

bool wait_until_http_ok(SpawnedProcess& process, int port, const std::string& path,
                        std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(1));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.wait(std::chrono::milliseconds(0))) return false;  // exited
    const auto res = client.Get(path.c_str());
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace procflow_it
