// Known flows of the soak test's churn; see soak_flows.h.
#include "soak_flows.h"

#include <algorithm>

#include "flow_query.h"
#include "helper_programs.h"

namespace procflow_it {
namespace {

std::string describe(const ChurnJob& job) {
  return "seq " + std::to_string(job.seq) + "." + std::to_string(job.step) + " " + job.job +
         " (pid " + std::to_string(job.pid) + " " + job.exe() + ", port " +
         std::to_string(job.local_port) + ")";
}

// How the worker's own socket ends.
std::string client_end_reason(const ChurnJob& job) {
  if (job.job == "reset" || job.job == "refused") return "reset";  // an RST either way
  return "close";
}

}  // namespace

SoakFlows::SoakFlows(std::vector<TcpServerTruth> tcp_servers, UdpServerTruth udp_server,
                     std::string client_ip)
    : udp_server_(std::move(udp_server)), client_ip_(std::move(client_ip)) {
  for (auto& truth : tcp_servers) {
    Served served;
    for (const WorkerTruth& w : truth.connections) served.by_peer_port[w.peer_port].push_back(w);
    served.truth = std::move(truth);
    tcp_servers_.push_back(std::move(served));
  }
}

void SoakFlows::add(const std::vector<ChurnJob>& jobs, int64_t ppid,
                    const std::optional<std::string>& dest_fqdn, int64_t uid) {
  std::vector<const ChurnJob*> ordered;
  for (const ChurnJob& job : jobs) ordered.push_back(&job);
  std::stable_sort(ordered.begin(), ordered.end(), [](const ChurnJob* a, const ChurnJob* b) {
    return a->connect_us < b->connect_us;
  });
  for (const ChurnJob* job : ordered) add_job(*job, ppid, dest_fqdn, uid);
}

void SoakFlows::add_job(const ChurnJob& job, int64_t ppid,
                        const std::optional<std::string>& dest_fqdn, int64_t uid) {
  KnownFlow client;
  client.what = describe(job) + ", its own flow";
  client.transport = job.udp() ? "UDP" : "TCP";
  // An unconnected UDP socket is on the wildcard address: no local IP.
  if (job.local_ip != "0.0.0.0" && job.local_ip != "::") client.src_ip = job.local_ip;
  client.src_port = job.local_port;
  client.dest_ip = job.peer;
  client.dest_port = job.peer_port;
  client.initiated = true;
  client.order = job.connect_us;
  client.pids = {job.pid};
  client.ppid = ppid;
  client.exe = job.exe();
  client.image_path = job.image;
  client.uid = uid;
  client.dest_fqdn = dest_fqdn;
  client.end_reason = client_end_reason(job);
  client.reset_if_wire_saw_one = job.job == "tcp";
  if (job.job == "tcp" || job.udp()) {
    client.out_bytes = job.sent;
    client.in_bytes = job.received;
  }
  if (job.udp()) client.packet_count = job.datagrams_sent + job.datagrams_received;
  flows_.push_back(client);

  if (job.udp()) {
    if (same_ip(job.peer, udp_server_.ip) && job.peer_port == udp_server_.port)
      add_udp_server_side(job, client);
  } else if (job.job != "refused") {
    add_tcp_server_side(job, client);
  }
}

void SoakFlows::add_tcp_server_side(const ChurnJob& job, const KnownFlow& client) {
  auto served = std::find_if(tcp_servers_.begin(), tcp_servers_.end(), [&](const Served& s) {
    return (s.truth.ip == "0.0.0.0" || same_ip(s.truth.ip, job.peer)) &&
           s.truth.port == job.peer_port;
  });
  if (served == tcp_servers_.end()) return;
  KnownFlow server = client;
  server.what = describe(job) + ", the server's flow";
  server.src_ip = job.local_ip;
  server.initiated = false;
  server.owner_on_start = false;  // an accepted socket's owner may be named after its start
  server.ppid.reset();
  server.exe = helper_exe(Helper::prefork_server);
  server.image_path = helper_image_path(Helper::prefork_server);
  server.uid = 0;
  server.in_bytes.reset();
  server.out_bytes.reset();
  server.packet_count.reset();
  server.pids.clear();
  auto& waiting = served->by_peer_port[job.local_port];
  if (waiting.empty()) {
    unaccounted_.push_back(server.what);
  } else {
    const WorkerTruth worker = waiting.front();
    waiting.erase(waiting.begin());
    server.pids.insert(worker.worker_pid);
    if (job.job == "tcp") {
      server.in_bytes = worker.received;
      server.out_bytes = worker.sent;
    }
  }
  // A connection reset before any worker accepted it ended while only the
  // listener was known: procflow then names the process that called
  // listen(), the prefork parent (docs/events.md, pid).
  if (job.job == "reset") server.pids.insert(served->truth.parent_pid);
  server.owner_may_stay_unknown = job.job == "reset";
  server.end_reason = job.job == "reset" ? "reset" : "close";
  flows_.push_back(server);
}

void SoakFlows::add_udp_server_side(const ChurnJob& job, const KnownFlow& client) {
  KnownFlow server = client;
  server.what = describe(job) + ", the server's flow";
  server.src_ip = client.src_ip.value_or(client_ip_);
  server.initiated = false;
  server.ppid.reset();
  server.pids = {udp_server_.pid};
  server.exe = helper_exe(Helper::udp_peer);
  server.image_path = helper_image_path(Helper::udp_peer);
  server.uid = 0;
  server.in_bytes = job.sent;
  server.out_bytes = job.received;
  // The server's socket stays open: its flow with this peer ends idle.
  server.end_reason = "timeout";
  flows_.push_back(server);
}

}  // namespace procflow_it
