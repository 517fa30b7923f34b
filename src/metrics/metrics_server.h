// The HTTP endpoint a service is watched through: /metrics (Prometheus
// text), /healthz (the process is alive and its collection loop turns) and
// /readyz (the kernel programs are attached). Off unless an address is
// configured; bound to that address only.
//
// The loop never waits for a scrape: it publishes a rendered text now and
// then (publish()) and marks each turn (heartbeat()); the server's own
// threads answer from what was last published.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "output/uri_parts.h"

namespace httplib {
class Server;
}

namespace procflow {

// "127.0.0.1:9469", "[::1]:9469", "0.0.0.0:9469", "localhost:9469".
std::optional<NetworkAddress> parse_metrics_address(std::string_view text, std::string* error);

class MetricsServer {
 public:
  // How long the loop may go without a turn before /healthz fails.
  static constexpr std::chrono::seconds stall_limit{10};

  // Binds now (before privileges are dropped: a port below 1024 needs one),
  // then serves from threads of its own. nullptr with `error` (e.g. the
  // address is in use).
  static std::unique_ptr<MetricsServer> start(const std::string& address,
                                              const std::string& initial_text, std::string* error);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void publish(std::string text);
  void heartbeat();
  void set_ready(bool ready);
  int port() const { return port_; }  // the bound port (useful with port 0)

 private:
  MetricsServer();
  void serve();
  std::string metrics_text() const;
  // "" when healthy, else why not.
  std::string unhealthy_reason() const;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};
  int port_ = 0;
  mutable std::mutex mu_;
  std::string text_;
  std::atomic<int64_t> last_beat_ns_{0};  // steady clock; 0: the loop has not started
  std::atomic<bool> ready_{false};
};

}  // namespace procflow
