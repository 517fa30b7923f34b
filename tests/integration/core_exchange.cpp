// The client + pre-forked worker scenario; see core_exchange.h.
#include "core_exchange.h"

#include <unistd.h>

#include "flow_assertions.h"

namespace procflow_it {
namespace {

std::string short_hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  std::string host(name);
  return host.substr(0, host.find('.'));
}

}  // namespace

void CoreExchangeTest::exchange_and_check(const std::string& server_ip,
                                          const std::string& client_ip, InboundOwner owner) {
  PreforkServer* server = start_server(server_ip, kServerPort, 2, kServerBytes);
  ASSERT_NE(server, nullptr);

  SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                      std::to_string(kServerPort), std::to_string(kClientBytes)});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth) << client.describe();
  ASSERT_EQ(truth->sent, kClientBytes) << client.describe();
  ASSERT_EQ(truth->received, kServerBytes) << client.describe();
  auto worker = server->wait_for_peer(truth->local_port);
  ASSERT_TRUE(worker) << "no worker served port " << truth->local_port;
  ASSERT_NE(worker->worker_pid, server->parent_pid());

  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}));
  auto events = procflow().events();

  ExpectedFlow client_expected;
  client_expected.process = expected_process(Helper::tcp_client, truth->pid, getpid(), RunAs::root);
  client_expected.out_bytes = truth->sent;
  client_expected.in_bytes = truth->received;
  client_expected.end_reason = "close";
  client_expected.flags = {"SYN", "ACK", "FIN"};
  Flow client_events = collect_flow(events, client_flow);
  expect_flow(client_events, client_flow, client_expected);

  ExpectedFlow server_expected;
  if (owner == InboundOwner::accepting_worker) {
    server_expected.process = expected_process(Helper::prefork_server, worker->worker_pid,
                                               server->parent_pid(), RunAs::root);
  } else {
    // The parent was spawned by this test process.
    server_expected.process =
        expected_process(Helper::prefork_server, server->parent_pid(), getpid(), RunAs::root);
  }
  server_expected.process_on_start = false;  // the accepting worker may be known only later
  server_expected.in_bytes = worker->received;
  server_expected.out_bytes = worker->sent;
  server_expected.end_reason = "close";
  server_expected.flags = {"SYN", "ACK", "FIN"};
  Flow server_events = collect_flow(events, server_flow);
  expect_flow(server_events, server_flow, server_expected);

  // Both ends of one connection hash to the same Community ID.
  if (client_events.end() && server_events.end()) {
    EXPECT_EQ(client_events.end()->str("community_id"), server_events.end()->str("community_id"));
    for (const JsonLine* end : {client_events.end(), server_events.end()}) {
      EXPECT_EQ(end->str("network_direction"), std::optional<std::string>("internal"))
          << "both endpoints are private addresses: " << end->raw();
      EXPECT_EQ(end->str("hostname"), std::optional<std::string>(short_hostname())) << end->raw();
    }
  }
}

}  // namespace procflow_it
