// The exchange the sink suites deliver; see sink_exchange.h.
#include "sink_exchange.h"

namespace procflow_it {

void SinkExchangeTest::traced_exchange(int port, int connections, TracedExchange* out) {
  const std::string server_ip = topo().host_ip4(), client_ip = topo().ns_ip4();
  out->server_ip = server_ip;
  PreforkServer* server = start_server(server_ip, port, 2, kServerBytes);
  ASSERT_NE(server, nullptr);
  std::vector<FlowSelector> selectors;
  for (int i = 0; i < connections; ++i) {
    SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                        std::to_string(port), std::to_string(kClientBytes)});
    const auto truth = client_truth(client);
    ASSERT_TRUE(truth) << client.describe();
    const auto worker = server->wait_for_peer(truth->local_port);
    ASSERT_TRUE(worker) << "no worker served port " << truth->local_port;
    out->client_received += truth->received;
    out->client_sent += truth->sent;
    out->server_received += worker->received;
    out->server_sent += worker->sent;
    selectors.push_back(client_side(client_ip, truth->local_port, server_ip, port));
    selectors.push_back(server_side(client_ip, truth->local_port, server_ip, port));
  }
  ASSERT_TRUE(wait_for_ends(selectors));
  for (const JsonLine& event : procflow().events()) {
    if (event.integer("dest_port") != port || event.str("dest_ip") != server_ip) continue;
    out->lines.push_back(event.raw());
    if (event.str("object") != "flow") continue;
    out->flow_events++;
    if (event.str("action") == "message") out->messages++;
  }
  // Every connection, on each side: a start, the request and the response
  // (`message`, with content capture on by default), and an end.
  ASSERT_EQ(out->messages, static_cast<size_t>(4 * connections)) << procflow().describe();
  ASSERT_EQ(out->flow_events, static_cast<size_t>(8 * connections)) << procflow().describe();
}

}  // namespace procflow_it
