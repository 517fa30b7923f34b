// The accounts of helpers/dns_peer (see its header for the exact lines): what
// a querying client sent and received, what the scripted responder was asked
// and answered, what a forger put on the wire. DnsResponder wraps a running
// `dns_peer respond` the way UdpServer wraps `udp_peer server`: RAII, started
// behind an optional launcher (`ip netns exec NS`, setpriv), waited for
// until it listens.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// `dns_peer query`: the final line (answer_* describe the first datagram the
// socket received; answers == 0 leaves them at their defaults).
struct DnsQueryTruth {
  int64_t pid = -1;
  std::string local_ip;
  int64_t local_port = 0;
  bool queried = false;
  int64_t id = -1;
  std::string name;
  int64_t answers = 0;
  std::string answer_from;
  int64_t answer_from_port = 0;
  int64_t answer_id = -1;
  std::string answer_name;
  int64_t answer_rcode = -1;
  std::string answer_a;  // "A,B"
  int64_t answer_ms = -1;
};

// The local port from a running `dns_peer query`'s {"ready":true} line,
// waiting up to `timeout`; nullopt if it did not come (or an error did).
std::optional<int64_t> wait_dns_peer_ready(const SpawnedProcess& peer,
                                           std::chrono::milliseconds timeout = 10s);
// The final line of a `dns_peer query`, or nullopt.
std::optional<DnsQueryTruth> dns_query_truth(const SpawnedProcess& peer);

// `dns_peer forge`: what was sent.
struct DnsForgeTruth {
  int64_t pid = -1;
  int64_t uid = -1;  // the forger's own uid
  bool raw = false;
  std::string from;
  int64_t from_port = 0;
  std::string to;
  int64_t to_port = 0;
  int64_t id = -1;
  std::string name;
  std::string answer_a;
  int64_t bytes = 0;
};
std::optional<DnsForgeTruth> dns_forge_truth(const SpawnedProcess& forger);

// `dns_peer respond`: one line per query it served.
struct DnsServedTruth {
  int64_t pid = -1;
  std::string query_from;
  int64_t query_from_port = 0;
  int64_t query_id = -1;
  std::string query_name;
  bool answered = false;
  int64_t answer_id = -1;
  std::string answer_name;
  std::string answer_a;
  int64_t delay_ms = 0;
};

class DnsResponder {
 public:
  // Starts `dns_peer respond IP PORT --mode MODE --answer A ... --queries N`
  // (behind `launcher`; --other-name when given).
  DnsResponder(const std::string& ip, int port, const std::string& mode,
               const std::vector<std::string>& answers,
               const std::vector<std::string>& launcher = {}, const std::string& other_name = "",
               int queries = 1);
  // Waits for {"listening":true}; fails with the responder's output otherwise.
  ::testing::AssertionResult wait_listening(std::chrono::milliseconds timeout = 10s);
  // The lines of the queries served so far, waiting up to `timeout` for `count`.
  std::vector<DnsServedTruth> wait_served(size_t count,
                                          std::chrono::milliseconds timeout = 10s) const;

  int64_t pid() const { return pid_; }
  const SpawnedProcess& process() const { return *process_; }

 private:
  int64_t pid_ = -1;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
