// packet_count and tcp_flags against a packet capture of the same interface:
// a client in the namespace makes several request/response round trips of
// small, unbatched writes (TCP_NODELAY, each below one MSS) with an echoing
// server in the root namespace, while tcpdump records the host-side veth.
// procflow's count must equal the number of the connection's packets in the
// capture, and its flags the union of the flags those packets carried. Both
// of the connection's flows (client and server) share one TC entry, so both
// must match.
#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"

namespace procflow_it {
namespace {

constexpr int kClientBytes = 6000;  // in kRounds echoed round trips
constexpr int kRounds = 4;
constexpr int kReplyBytes = 5000;  // after the client's half-close

class PacketTruthTest : public IntegrationTest {};

TEST_F(PacketTruthTest, PacketCountAndFlagsEqualTheCapture) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 1, kReplyBytes, ServerMode::echo);
  ASSERT_NE(server, nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                 std::to_string(kClientBytes), "--rounds", std::to_string(kRounds)});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kClientBytes) << client.describe();
  ASSERT_EQ(truth->received, kClientBytes + kReplyBytes) << client.describe();
  auto worker = server->wait_for_peer(truth->local_port);
  ASSERT_TRUE(worker) << "no worker served port " << truth->local_port;

  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto seen = capture.connection(client_ip, truth->local_port, server_ip, kServerPort, &error);
  ASSERT_TRUE(seen) << error;
  // A handshake, kRounds round trips and a close are well over 10 packets;
  // fewer means the capture missed the connection.
  ASSERT_GT(seen->packets, 10) << "captured:\n" << seen->frames << capture.describe();

  auto events = procflow().events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow flow = collect_flow(events, selector);
    ASSERT_TRUE(flow.end());
    const JsonLine& end = *flow.end();
    expect_end_matches_capture(end, *seen);
    EXPECT_EQ(end.str("end_reason"), std::optional<std::string>("close")) << end.raw();
  }
  // The byte counts of the same flows, against the helpers' own account.
  Flow client_events = collect_flow(events, client_flow);
  Flow server_events = collect_flow(events, server_flow);
  if (client_events.end()) {
    EXPECT_EQ(client_events.end()->integer("out_bytes"), truth->sent);
    EXPECT_EQ(client_events.end()->integer("in_bytes"), truth->received);
  }
  if (server_events.end()) {
    EXPECT_EQ(server_events.end()->integer("in_bytes"), worker->received);
    EXPECT_EQ(server_events.end()->integer("out_bytes"), worker->sent);
  }
}

}  // namespace
}  // namespace procflow_it
