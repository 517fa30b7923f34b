// A real clickhouse-server of the test's own, run as a plain process: a
// generated config.xml with private HTTP and native ports on 127.0.0.1 only,
// its data under a scratch directory (kept across stop() and start(), so a
// restarted server has the same tables), UTC as its time zone. Killed with
// its process group when the object goes.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {

class ClickHouseServer {
 public:
  ClickHouseServer(int http_port, int tcp_port);
  ~ClickHouseServer();
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  // Starts the server and waits until it answers /ping; false (see describe()) if it does not.
  bool start(std::chrono::milliseconds timeout = 60s);
  // SIGTERM and waits for the exit (SIGKILL after `timeout`).
  void stop(std::chrono::milliseconds timeout = 30s);

  int http_port() const { return http_port_; }
  // Runs one statement over HTTP; the response body, or nullopt (with the
  // error in `error`, if given) unless the server answered 200.
  std::optional<std::string> query(const std::string& sql, std::string* error = nullptr) const;
  // Runs every statement of a .sql file (comment lines dropped, split at ';').
  bool run_file(const std::string& path, std::string* error) const;
  std::string describe() const;

 private:
  ScratchDir dir_;
  int http_port_, tcp_port_;
  std::string config_path_;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
