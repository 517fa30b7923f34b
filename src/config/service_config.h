// What a tracing run is: outputs, filters, enrichment, kernel-side sizes,
// logging. `procflow run --config FILE` reads it from YAML
// (deploy/procflow.yaml is the commented default); `procflow trace` builds the
// same structure from its flags, so both run the same code.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "bpf/attach_plan.h"
#include "flow/content_options.h"
#include "flow/event_filter.h"
#include "output/event_output.h"

namespace procflow {

struct ServiceConfig {
  std::vector<OutputRoute> outputs;            // empty: stdout, CAR JSON
  EventFilter filter;                          // global, applied before enrichment where it can be
  std::vector<std::string> interfaces;         // empty: every interface that is up, and new ones
  std::vector<std::string> internal_networks;  // empty: the defaults
  std::set<HookKind> disabled_hooks;
  double udp_idle_timeout_s = 60;
  double report_interval_s = 0;  // 0: long-lived flows are reported only at their end
  double dns_answer_window_s = 10;
  bool reverse_dns = false;
  std::string reverse_dns_server;  // empty: /etc/resolv.conf
  double reverse_dns_rate = 20;
  uint32_t ring_buffer_kib = 8192;
  uint32_t max_flows = 65536;      // TCP connections the kernel follows at once
  uint32_t max_udp_flows = 65536;  // UDP (socket, peer) flows the kernel counts at once
  std::string metrics_address;     // HOST:PORT of /metrics, /healthz, /readyz; empty: off
  std::string log_level = "info";
  std::string log_target = "stderr";          // stderr or syslog
  std::string host_proc = "/proc";            // the host's /proc (/host/proc in a container)
  std::string pod_log_dir = "/var/log/pods";  // kubernetes.pod_log_dir: pod and container names
  ContentOptions content;                     // content: what `message` events capture
};

// Reads and checks `path`. False with one message per problem in `errors`
// ("FILE:LINE:COL: key.path: what is expected").
bool load_service_config(const std::string& path, ServiceConfig* config,
                         std::vector<std::string>* errors);
// The same from text (`name` stands for the file in messages).
bool parse_service_config(const std::string& yaml, const std::string& name, ServiceConfig* config,
                          std::vector<std::string>* errors);

// What a reload cannot change without a restart (the kernel side and what was
// set up at start): one line per setting that differs, "" when none.
std::vector<std::string> settings_needing_restart(const ServiceConfig& running,
                                                  const ServiceConfig& loaded);

}  // namespace procflow
