// A real Prometheus of the test's own (Debian's prometheus package), run as
// a plain process: it scrapes one target every second, keeps its data under
// a scratch directory, listens on 127.0.0.1 only, and is asked through its
// HTTP API, as an operator's dashboards and alerts would. Killed with its
// process group when the object goes.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {

class PrometheusServer {
 public:
  // Scrapes http://`target`/metrics (HOST:PORT) as job "procflow".
  PrometheusServer(int web_port, const std::string& target);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Starts it and waits until it says it is ready; false (see describe()) if it does not.
  bool start(std::chrono::milliseconds timeout = 60s);
  // The value of an instant query that must select one series; nullopt when
  // it selects none (not scraped yet) or the API fails (`error`).
  std::optional<double> value(const std::string& promql, std::string* error = nullptr) const;
  std::string describe() const;

 private:
  ScratchDir dir_;
  int web_port_;
  std::string config_path_;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
