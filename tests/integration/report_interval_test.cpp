// report_interval: a connection open for several intervals is reported while
// it lasts. Each interval closes a period with an `end` (end_reason
// interval) and opens the next with a `start`; the periods are contiguous
// (each starts where the last ended) and their counters add up exactly to
// what the processes sent and received — on both sides of the connection.
#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

class ReportIntervalTest : public IntegrationTest {};

constexpr int64_t kSent = 700;     // the client's bytes, all in the first period
constexpr int64_t kReplied = 300;  // the server's, at the client's half-close: the last period

TEST_F(ReportIntervalTest, PeriodsOfALongLivedFlowAddUpToItsTotals) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--report-interval", "1"}));
  const std::string server_ip = topo().host_ip4(), client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, kReplied), nullptr);
  SpawnedProcess& client =
      spawn_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                   std::to_string(kSent), "--hold-ms", "3500"});
  auto truth = wait_client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_TRUE(client.wait(15s)) << client.describe();
  const FlowSelector client_flow =
      client_side(client_ip, truth->local_port, server_ip, kServerPort);
  const FlowSelector server_flow =
      server_side(client_ip, truth->local_port, server_ip, kServerPort);
  auto closed = [](const std::vector<JsonLine>& events, const FlowSelector& selector) {
    for (const auto& e : events)
      if (selector.matches(e) && e.str("action") == "end" && e.str("end_reason") != "interval")
        return true;
    return false;
  };
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        return closed(events, client_flow) && closed(events, server_flow);
      },
      "both sides' final end"));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  const auto events = procflow().events();

  for (const auto& [selector, out_total, in_total] :
       {std::tuple{client_flow, kSent, kReplied}, std::tuple{server_flow, kReplied, kSent}}) {
    const Flow flow = collect_flow(events, selector);
    ASSERT_GE(flow.ends.size(), 3u) << "3.5 s open, a report each second:\n" << dump(events);
    EXPECT_EQ(flow.starts.size(), flow.ends.size()) << "each period has its start";
    int64_t out = 0, in = 0;
    for (size_t i = 0; i < flow.ends.size(); i++) {
      const JsonLine& end = flow.ends[i];
      const bool last = i + 1 == flow.ends.size();
      EXPECT_EQ(end.str("end_reason"),
                last ? std::optional<std::string>("close") : std::optional<std::string>("interval"))
          << end.raw();
      out += end.integer("out_bytes").value_or(-1'000'000);
      in += end.integer("in_bytes").value_or(-1'000'000);
      if (i > 0) {
        EXPECT_EQ(end.str("start_time"), flow.ends[i - 1].str("end_time"))
            << "periods are contiguous:\n"
            << flow.ends[i - 1].raw() << "\n"
            << end.raw();
        EXPECT_EQ(flow.starts[i].str("start_time"), flow.ends[i - 1].str("end_time"))
            << flow.starts[i].raw();
      }
    }
    EXPECT_EQ(out, out_total) << "the periods' out_bytes add up to what was sent\n" << dump(events);
    EXPECT_EQ(in, in_total) << "the periods' in_bytes add up to what was received";
    EXPECT_EQ(flow.ends.front().integer("out_bytes"), out_total == kSent ? kSent : 0)
        << "the first period holds the client's bytes: " << flow.ends.front().raw();
  }
}

// Bytes in every period, not only the first and the last: an echo exchange in
// 5 rounds 900 ms apart over 1 s periods. Each middle period holds the rounds
// made in it, both ways, and all of them add up to what the client sent and
// got back; no period is counted twice.
TEST_F(ReportIntervalTest, MiddlePeriodsCarryTheirOwnBytes) {
  constexpr int64_t kBytes = 5 * 400;
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--report-interval", "1"}));
  const std::string server_ip = topo().host_ip4(), client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 0, ServerMode::echo), nullptr);
  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                 std::to_string(kBytes), "--rounds", "5", "--gap-ms", "900"});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kBytes);
  ASSERT_EQ(truth->received, kBytes);
  const FlowSelector client_flow =
      client_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        for (const auto& e : events)
          if (client_flow.matches(e) && e.str("action") == "end" &&
              e.str("end_reason") != "interval")
            return true;
        return false;
      },
      "the client's final end"));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  const auto events = procflow().events();
  const Flow flow = collect_flow(events, client_flow);
  ASSERT_GE(flow.ends.size(), 4u) << "3.6 s of rounds, a report each second:\n" << dump(events);
  int64_t out = 0, in = 0;
  size_t middle_with_bytes = 0;
  for (size_t i = 0; i < flow.ends.size(); i++) {
    const int64_t o = flow.ends[i].integer("out_bytes").value_or(-1'000'000);
    const int64_t n = flow.ends[i].integer("in_bytes").value_or(-1'000'000);
    out += o;
    in += n;
    if (i > 0 && i + 1 < flow.ends.size() && o + n > 0) middle_with_bytes++;
  }
  EXPECT_GE(middle_with_bytes, 2u) << dump(events);
  EXPECT_EQ(out, kBytes) << dump(events);
  EXPECT_EQ(in, kBytes) << dump(events);
}

// The same for a UDP flow: datagrams 1.2 s apart over three periods; the
// periods' bytes and datagrams add up to the client's own account.
TEST_F(ReportIntervalTest, UdpPeriodsAddUpToWhatTheClientExchanged) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--report-interval", "1"}));
  const std::string server_ip = topo().host_ip4();
  ASSERT_NE(start_udp_server(server_ip, kServerPort, 3, 2), nullptr);
  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::udp_peer), "client", server_ip, std::to_string(kServerPort),
                 "--sizes", "100,200,300", "--connected", "--gap-ms", "1200"});
  const auto truths = udp_peer_truths(client);
  ASSERT_EQ(truths.size(), 1u) << client.describe();
  const UdpPeerTruth& mine = truths.front();
  const FlowSelector selector{.src_port = mine.local_port,
                              .dest_ip = server_ip,
                              .dest_port = kServerPort,
                              .initiated = true,
                              .transport = "UDP"};
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        for (const auto& e : events)
          if (selector.matches(e) && e.str("action") == "end" && e.str("end_reason") == "close")
            return true;
        return false;
      },
      "the client flow's final end"));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  const auto events = procflow().events();
  const Flow flow = collect_flow(events, selector);
  ASSERT_GE(flow.ends.size(), 2u) << dump(events);
  EXPECT_EQ(flow.starts.size(), flow.ends.size());
  int64_t out = 0, in = 0, packets = 0;
  for (const auto& end : flow.ends) {
    out += end.integer("out_bytes").value_or(-1'000'000);
    in += end.integer("in_bytes").value_or(-1'000'000);
    packets += end.integer("packet_count").value_or(-1'000'000);
  }
  EXPECT_EQ(out, mine.sent) << dump(events);
  EXPECT_EQ(in, mine.received);
  EXPECT_EQ(packets, mine.datagrams_sent + mine.datagrams_received);
  EXPECT_EQ(flow.ends.back().str("end_reason"), std::optional<std::string>("close"));
}

}  // namespace
}  // namespace procflow_it
