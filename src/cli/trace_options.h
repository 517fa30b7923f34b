// The options `trace` and `top` share: what is traced (--pid, --exe, --port,
// --host, --actions), how (interfaces, hooks, timeouts, buffers, names,
// content) and for how long. Registered once here, so both commands take the
// same flags with the same ranges and help, and turn them into the same
// ServiceConfig.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/content_flags.h"
#include "config/service_config.h"

namespace procflow {

struct TraceArgs {
  double duration = 0;
  std::vector<uint32_t> pids;
  std::vector<std::string> exes;
  std::vector<uint16_t> ports;
  std::vector<std::string> hosts;
  std::string actions;
  std::vector<std::string> interfaces;
  std::string disable_hooks;
  std::vector<std::string> internal_networks;
  double udp_idle_timeout = 60;
  double report_interval = 0;
  double dns_answer_window = 10;
  uint32_t ring_buffer_kib = 8192;
  uint32_t max_flows = 65536;
  uint32_t max_udp_flows = 65536;
  bool reverse_dns = false;
  std::string reverse_dns_server;
  double reverse_dns_rate = 20;
  std::string host_proc = "/proc";
  std::string pod_log_dir = "/var/log/pods";
  std::string metrics_address;
  ContentArgs content;
  bool no_tls_plaintext = false;
};

void add_trace_options(CLI::App* cmd, TraceArgs* args);

// The config the options describe (without outputs); false, after logging
// why, on a value the parser could not check alone (exit status 2).
bool build_trace_config(const TraceArgs& args, ServiceConfig* config);

}  // namespace procflow
