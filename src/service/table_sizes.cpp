#include "service/table_sizes.h"

#include <spdlog/fmt/fmt.h>

namespace procflow {

std::string TableSizes::describe() const {
  return fmt::format(
      "open at stop: {} TCP flows ({} ending, {} endpoints), {} UDP flows ({} endpoints), {} "
      "processes ({} exited), {} DNS names, {} DNS queries, {} DNS answers waiting, {} mount "
      "namespaces ({} user names), {} cgroups ({} processes' container facts), {} pods",
      tcp_flows, tcp_ending, tcp_endpoints, udp_flows, udp_endpoints, processes, processes_exited,
      dns_names, dns_queries, dns_waiting, mount_namespaces, namespace_users, cgroups,
      container_processes, pods);
}

}  // namespace procflow
