// The trace filters (--port, --exe, --host, --actions): the matching flows
// are reported, and a flow that does not match is absent from the output even
// after the stop flushes everything still open. Each unwanted connection runs
// first, so its events would be out long before the wanted ones are seen.
#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

class FilterTest : public IntegrationTest {
 protected:
  // Runs tcp_client to ip:port to completion; returns its local port (0 on failure).
  int64_t connect_once(const std::string& ip, int port) {
    SpawnedProcess& client =
        run_in_ns({helper_path(Helper::tcp_client), ip, std::to_string(port), "100"});
    auto truth = client_truth(client);
    EXPECT_TRUE(truth && truth->error.empty()) << client.describe();
    return truth ? truth->local_port : 0;
  }

  // No event mentions `port` as either endpoint's port.
  void expect_port_absent(const std::vector<JsonLine>& events, int64_t port,
                          const std::string& why) {
    for (const auto& event : events) {
      EXPECT_NE(event.integer("src_port"), std::optional<int64_t>(port))
          << why << ": " << event.raw();
      EXPECT_NE(event.integer("dest_port"), std::optional<int64_t>(port))
          << why << ": " << event.raw();
    }
  }
};

TEST_F(FilterTest, PortShowsOnlyThatPort) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--port", std::to_string(kServerPort)}));
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 100), nullptr);
  ASSERT_NE(start_server(server_ip, kOtherPort, 1, 100), nullptr);

  int64_t unwanted = connect_once(server_ip, kOtherPort);
  int64_t wanted = connect_once(server_ip, kServerPort);
  ASSERT_NE(unwanted, 0);
  ASSERT_NE(wanted, 0);
  ASSERT_TRUE(wait_for_ends({client_side(client_ip, wanted, server_ip, kServerPort),
                             server_side(client_ip, wanted, server_ip, kServerPort)}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  auto events = procflow().events();
  expect_port_absent(events, kOtherPort, "--port " + std::to_string(kServerPort));
  for (const auto& event : events) {
    EXPECT_TRUE(event.integer("src_port") == kServerPort ||
                event.integer("dest_port") == kServerPort)
        << "--port " << kServerPort << " let through: " << event.raw();
  }
}

TEST_F(FilterTest, ExeShowsOnlyThatProgram) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--exe", helper_exe(Helper::quick_connect)}));
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 0), nullptr);

  int64_t unwanted = connect_once(server_ip, kServerPort);  // tcp_client
  ASSERT_NE(unwanted, 0);
  SpawnedProcess& quick =
      run_in_ns({helper_path(Helper::quick_connect), server_ip, std::to_string(kServerPort)});
  auto truth = client_truth(quick);
  ASSERT_TRUE(truth) << quick.describe();
  FlowSelector wanted = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({wanted}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  auto events = procflow().events();
  expect_port_absent(events, unwanted, "--exe quick_connect (tcp_client's port)");
  for (const auto& event : events) {
    EXPECT_EQ(event.str("exe"), std::optional<std::string>(helper_exe(Helper::quick_connect)))
        << "--exe let through: " << event.raw();
  }
}

TEST_F(FilterTest, HostShowsOnlyThatNetwork) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--host", topo().ip6_prefix()}));
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 100), nullptr);
  ASSERT_NE(start_server(topo().host_ip6(), kServerPort, 1, 100), nullptr);

  int64_t unwanted = connect_once(topo().host_ip4(), kServerPort);
  int64_t wanted = connect_once(topo().host_ip6(), kServerPort);
  ASSERT_NE(unwanted, 0);
  ASSERT_NE(wanted, 0);
  ASSERT_TRUE(
      wait_for_ends({client_side(topo().ns_ip6(), wanted, topo().host_ip6(), kServerPort),
                     server_side(topo().ns_ip6(), wanted, topo().host_ip6(), kServerPort)}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  auto events = procflow().events();
  expect_port_absent(events, unwanted, "--host " + topo().ip6_prefix() + " (the IPv4 client)");
  for (const auto& event : events) {
    EXPECT_TRUE(ip6_in_prefix(event.str("src_ip").value_or(""), topo().ip6_prefix()) ||
                ip6_in_prefix(event.str("dest_ip").value_or(""), topo().ip6_prefix()))
        << "--host " << topo().ip6_prefix() << " let through: " << event.raw();
  }
}

TEST_F(FilterTest, ActionsStartShowsOnlyStarts) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--actions", "start"}));
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 100), nullptr);

  int64_t port = connect_once(server_ip, kServerPort);
  ASSERT_NE(port, 0);
  FlowSelector client = client_side(client_ip, port, server_ip, kServerPort);
  FlowSelector server = server_side(client_ip, port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        return count_events(events, client, "start") > 0 &&
               count_events(events, server, "start") > 0;
      },
      "start events of both flows"));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  for (const auto& event : procflow().events()) {
    EXPECT_EQ(event.str("action"), std::optional<std::string>("start"))
        << "--actions start let through: " << event.raw();
  }
}

}  // namespace
}  // namespace procflow_it
