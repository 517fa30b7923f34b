// How procflow ends: SIGINT flushes the flows still open (here both sides of
// one held connection) as end events with end_reason "tracer_stop" and their
// counts so far, exits 0, and leaves no TC
// filter or BPF program behind; after a crash (SIGKILL) the next run cleans up
// what the crashed one left; --duration ends tracing by itself.
#include <unistd.h>

#include <thread>

#include "bpf_leftovers.h"
#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

constexpr int kClientBytes = 1000;
constexpr int kServerBytes = 5000;

class ShutdownTest : public IntegrationTest {
 protected:
  // One complete exchange, waited for until procflow reported both flows' ends.
  void one_connection() {
    PreforkServer* server = start_server(topo().host_ip4(), kServerPort, 1, 10);
    ASSERT_NE(server, nullptr);
    SpawnedProcess& client = run_in_ns(
        {helper_path(Helper::tcp_client), topo().host_ip4(), std::to_string(kServerPort), "10"});
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
    ASSERT_TRUE(wait_for_ends(
        {client_side(topo().ns_ip4(), truth->local_port, topo().host_ip4(), kServerPort)}));
  }

  // Polls (up to 5 s: program release may lag the exit) until nothing of
  // procflow's is left on the veth or in the kernel, then asserts so.
  void expect_nothing_left(int64_t programs_before) {
    std::vector<std::string> attached;
    std::vector<std::string> orphans;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      attached = attachments_on(topo().host_if());
      orphans = orphaned_programs(programs_before);
      if (attached.empty() && orphans.empty()) return;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    std::string text;
    for (const auto& line : attached) text += "  " + line + "\n";
    for (const auto& line : orphans) text += "  " + line + "\n";
    ADD_FAILURE() << "left behind after procflow exited:\n" << text;
  }
};

TEST_F(ShutdownTest, StopFlushesOpenFlowsAsTracerStop) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 1, kServerBytes);
  ASSERT_NE(server, nullptr);

  // The client sends its bytes, waits until they are acknowledged, prints its
  // counts and keeps the connection fully open for 60 s: both flows (its own
  // and the worker's, blocked reading) are open when procflow stops.
  SpawnedProcess& client =
      spawn_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                   std::to_string(kClientBytes), "--hold-ms", "60000"});
  auto truth = wait_client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kClientBytes);
  auto worker = server->wait_for_accept(truth->local_port);
  ASSERT_TRUE(worker) << "no worker accepted port " << truth->local_port;

  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        return count_events(events, client_flow, "start") > 0 &&
               count_events(events, server_flow, "start") > 0;
      },
      "start events of both flows"));
  auto before_stop = procflow().events();
  ASSERT_EQ(
      count_events(before_stop, client_flow, "end") + count_events(before_stop, server_flow, "end"),
      0u)
      << "the connection is still open; neither flow may have ended yet";
  ASSERT_FALSE(client.wait(0ms)) << "the client should still be holding the connection";

  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  auto events = procflow().events();

  ExpectedFlow client_expected;
  client_expected.process = expected_process(Helper::tcp_client, truth->pid, getpid());
  client_expected.out_bytes = truth->sent;
  client_expected.in_bytes = 0;
  client_expected.end_reason = "tracer_stop";
  client_expected.flags = {"SYN", "ACK"};
  expect_flow(collect_flow(events, client_flow), client_flow, client_expected);

  ExpectedFlow server_expected;
  server_expected.process =
      expected_process(Helper::prefork_server, worker->worker_pid, server->parent_pid());
  server_expected.process_on_start = false;
  server_expected.in_bytes = truth->sent;  // acknowledged, so received by the worker's socket
  server_expected.out_bytes = 0;
  server_expected.end_reason = "tracer_stop";
  server_expected.flags = {"SYN", "ACK"};
  expect_flow(collect_flow(events, server_flow), server_flow, server_expected);

  for (const char* side : {"client", "server"}) {
    const FlowSelector& selector = std::string(side) == "client" ? client_flow : server_flow;
    Flow flow = collect_flow(events, selector);
    if (flow.end()) {
      EXPECT_FALSE(split_flags(flow.end()->str("tcp_flags").value_or("")).count("FIN"))
          << side << " flow: no FIN was ever sent: " << flow.end()->raw();
    }
  }
}

TEST_F(ShutdownTest, StopLeavesNoFiltersOrPrograms) {
  const int64_t programs_before = max_bpf_prog_id();
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  // Proves the check below can see procflow's hooks at all.
  EXPECT_FALSE(attachments_on(topo().host_if()).empty())
      << "procflow traces " << topo().host_if() << " but nothing is attached to it";
  ASSERT_NO_FATAL_FAILURE(one_connection());
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  expect_nothing_left(programs_before);
}

TEST_F(ShutdownTest, NextRunCleansUpAfterACrash) {
  const int64_t programs_before = max_bpf_prog_id();
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(one_connection());
  procflow().kill();  // SIGKILL: no chance to clean up

  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  expect_nothing_left(programs_before);
}

TEST_F(ShutdownTest, DurationEndsTracingWithStatusZero) {
  const int64_t programs_before = max_bpf_prog_id();
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--duration", "2"}));
  // No signal: procflow must stop by itself, clean up and exit 0.
  auto status = procflow().wait_exit(25s);
  ASSERT_TRUE(status) << "procflow --duration 2 still ran after 25 s";
  EXPECT_TRUE(status->success()) << status->describe();
  expect_nothing_left(programs_before);
}

}  // namespace
}  // namespace procflow_it
