// The known exchange the sink suites send to a sink: `connections`
// tcp_clients in the namespace, each sending kClientBytes to a prefork_server
// on `port` in the root namespace, which replies kServerBytes; traced by a
// procflow the test started. Gives the JSON lines procflow printed for those
// flows (both ends of every connection, start and end) and the byte counts
// the helpers themselves report, the truth the sink's far end must show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integration_test.h"

namespace procflow_it {

struct TracedExchange {
  // The server's address: with the port, it tells these flows from others on
  // the host (tests of other checkouts may use the same port at the same time).
  std::string server_ip;
  std::vector<std::string> lines;  // procflow's raw lines of these flows, each without '\n'
  int64_t client_received = 0;     // the tcp_clients' in_bytes, summed
  int64_t client_sent = 0;
  int64_t server_received = 0;  // the accepting workers' in_bytes, summed
  int64_t server_sent = 0;
  size_t flow_events = 0;  // start, message and end events among `lines`
  size_t messages = 0;     // the message events among them
};

class SinkExchangeTest : public IntegrationTest {
 protected:
  static constexpr int kClientBytes = 1500;
  static constexpr int kServerBytes = 7000;

  // Runs the exchange against the procflow started with start_procflow() and
  // waits for every flow's end; use with ASSERT_NO_FATAL_FAILURE.
  void traced_exchange(int port, int connections, TracedExchange* out);
};

}  // namespace procflow_it
