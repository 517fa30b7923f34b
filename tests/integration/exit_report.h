// What procflow's exit report on stderr says (docs/operations.md): the sizes
// of its tables when tracing stopped, before the open flows were ended, and
// the totals line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace procflow_it {

// "open at stop: ..." (src/service/table_sizes.h).
struct TablesAtStop {
  int64_t tcp_flows = 0, tcp_ending = 0, tcp_endpoints = 0;
  int64_t udp_flows = 0, udp_endpoints = 0;
  int64_t processes = 0, processes_exited = 0;
  int64_t dns_names = 0, dns_queries = 0, dns_waiting = 0;
  int64_t mount_namespaces = 0, namespace_users = 0;
  int64_t cgroups = 0, container_processes = 0, pods = 0;
};
std::optional<TablesAtStop> tables_at_stop(const std::string& stderr_text);

// "N records, N flows started, N ended, N records lost, N events not written".
struct ExitTotals {
  int64_t records = 0, flows_started = 0, flows_ended = 0, records_lost = 0, events_not_written = 0;
};
std::optional<ExitTotals> exit_totals(const std::string& stderr_text);

}  // namespace procflow_it
