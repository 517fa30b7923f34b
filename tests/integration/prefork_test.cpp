// Pre-fork attribution, repeated: a server whose forked workers accept must
// have every inbound flow credited to the worker that accepted it, never to
// the parent that owns the listening socket, connection after connection.
#include <map>
#include <set>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

constexpr int kConnections = 20;
constexpr int kWorkers = 4;
constexpr int kClientBytes = 300;
constexpr int kServerBytes = 700;

class PreforkTest : public IntegrationTest {};

TEST_F(PreforkTest, EveryInboundFlowBelongsToTheAcceptingWorker) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, kWorkers, kServerBytes);
  ASSERT_NE(server, nullptr);

  std::map<int64_t, WorkerTruth> by_port;  // client port -> worker that served it
  for (int i = 0; i < kConnections; ++i) {
    SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                        std::to_string(kServerPort), std::to_string(kClientBytes)});
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
    auto worker = server->wait_for_peer(truth->local_port);
    ASSERT_TRUE(worker) << "no worker served port " << truth->local_port;
    ASSERT_EQ(by_port.count(truth->local_port), 0u) << "client port reused; flows are ambiguous";
    by_port[truth->local_port] = *worker;
  }

  std::set<int64_t> workers_used;
  std::vector<FlowSelector> selectors;
  for (const auto& [port, worker] : by_port) {
    selectors.push_back(server_side(client_ip, port, server_ip, kServerPort));
    workers_used.insert(worker.worker_pid);
  }
  // Otherwise "always the first worker" would pass unnoticed.
  ASSERT_GE(workers_used.size(), 2u) << "the kernel handed every connection to one worker";
  ASSERT_TRUE(wait_for_ends(selectors, 20s));

  auto events = procflow().events();
  for (const auto& [port, worker] : by_port) {
    FlowSelector selector = server_side(client_ip, port, server_ip, kServerPort);
    ExpectedFlow expected;
    expected.process = expected_process(Helper::prefork_server, worker.worker_pid,
                                        server->parent_pid(), RunAs::root);
    expected.process_on_start = false;
    expected.in_bytes = worker.received;
    expected.out_bytes = worker.sent;
    expected.end_reason = "close";
    expected.flags = {"SYN", "ACK", "FIN"};
    expect_flow(collect_flow(events, selector), selector, expected);
  }
}

}  // namespace
}  // namespace procflow_it
