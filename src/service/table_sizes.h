// How much state procflow holds, table by table: logged once when tracing
// stops, before the open flows are ended, so a long run can be checked for
// entries that should have gone (a flow whose end never came, a process kept
// past its expiry, a DNS query never forgotten). See docs/operations.md.
#pragma once

#include <cstddef>
#include <string>

namespace procflow {

struct TableSizes {
  size_t tcp_flows = 0;            // open TCP flows (each ends with tracer_stop at exit)
  size_t tcp_ending = 0;           // ended TCP flows whose `end` waits for the linger
  size_t tcp_endpoints = 0;        // TCP sockets in the endpoint index (DNS-over-TCP's namespace)
  size_t udp_flows = 0;            // open UDP flows
  size_t udp_endpoints = 0;        // UDP sockets in the endpoint index
  size_t processes = 0;            // process cache entries
  size_t processes_exited = 0;     // of them, processes that exited (kept 30 s)
  size_t dns_names = 0;            // addresses the DNS cache names (expired ones until looked up)
  size_t dns_queries = 0;          // DNS queries remembered (until twice the answer window)
  size_t dns_waiting = 0;          // answers waiting for the flow of the socket that asked
  size_t mount_namespaces = 0;     // mount namespaces whose passwd is cached
  size_t namespace_users = 0;      // user names given to programs of other mount namespaces
  size_t cgroups = 0;              // cgroup ids resolved to a path (until the cgroup is removed)
  size_t container_processes = 0;  // processes whose /proc container facts are kept
  size_t pods = 0;                 // pods named from the pod log directory

  // "open at stop: 3 TCP flows (0 ending, 3 endpoints), 1 UDP flows (1 endpoints), ..."
  std::string describe() const;
};

}  // namespace procflow
