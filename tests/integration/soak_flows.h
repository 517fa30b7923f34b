// The flows the soak test's programs made, turned into KnownFlows for
// audit_flows: for every churn_worker job its own flow (the worker's pid and
// image) and, where a server took part, the server's flow (the prefork
// worker that accepted it, or the UDP server), with the bytes each side
// counted and the end each must have.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "churn_truth.h"
#include "flow_audit.h"
#include "ground_truth.h"

namespace procflow_it {

// A prefork_server and the connections its workers served.
struct TcpServerTruth {
  std::string ip;  // "0.0.0.0": every address
  int64_t port = 0;
  int64_t parent_pid = -1;
  std::vector<WorkerTruth> connections;  // finished, in the order the workers reported them
};

// A `udp_peer server` that answered every datagram, for the whole run.
struct UdpServerTruth {
  std::string ip;
  int64_t port = 0;
  int64_t pid = -1;
};

class SoakFlows {
 public:
  // `client_ip`: the address the namespace's sockets on the wildcard address
  // send from (what the server sees as their source).
  SoakFlows(std::vector<TcpServerTruth> tcp_servers, UdpServerTruth udp_server,
            std::string client_ip);

  // Both sides of each job; `ppid` is the workers' parent. Jobs to one
  // server must be added in the order they connected (a 4-tuple is reused).
  void add(const std::vector<ChurnJob>& jobs, int64_t ppid,
           const std::optional<std::string>& dest_fqdn = std::nullopt, int64_t uid = 0);

  const std::vector<KnownFlow>& flows() const { return flows_; }
  // Jobs to a TCP server that no worker line of it accounts for.
  const std::vector<std::string>& unaccounted() const { return unaccounted_; }

 private:
  void add_job(const ChurnJob& job, int64_t ppid, const std::optional<std::string>& dest_fqdn,
               int64_t uid);
  void add_tcp_server_side(const ChurnJob& job, const KnownFlow& client);
  void add_udp_server_side(const ChurnJob& job, const KnownFlow& client);

  struct Served {
    TcpServerTruth truth;
    std::map<int64_t, std::vector<WorkerTruth>> by_peer_port;  // not yet paired, oldest first
  };
  std::vector<Served> tcp_servers_;
  UdpServerTruth udp_server_;
  std::string client_ip_;
  std::vector<KnownFlow> flows_;
  std::vector<std::string> unaccounted_;
};

}  // namespace procflow_it
