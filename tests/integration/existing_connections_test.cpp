// No blind spot at start: a connection that was already open when procflow
// started is reported (a `start` with "snapshot": true, its owning process,
// its counters so far) and its end is traced like any other; a listener that
// was already listening names the owner of what it accepts where no accept
// hook does.
#include <signal.h>
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

constexpr int kSentBeforeStart = 1234;
constexpr int kReply = 77;

class ExistingConnectionsTest : public IntegrationTest {};

TEST_F(ExistingConnectionsTest, AConnectionOpenBeforeTheStartIsReportedAndItsEndTraced) {
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 1, kReply);
  ASSERT_NE(server, nullptr);
  SpawnedProcess& client =
      spawn_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                   std::to_string(kSentBeforeStart), "--hold-ms", "60000"});
  auto truth = wait_client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  auto worker = server->wait_for_accept(truth->local_port);
  ASSERT_TRUE(worker);

  // Only now does procflow start: the connection is in mid-life.
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) {
        return count_events(events, client_flow, "start") > 0 &&
               count_events(events, server_flow, "start") > 0;
      },
      "snapshot starts of both sides"));
  {
    auto events = procflow().events();
    const Flow c = collect_flow(events, client_flow);
    const Flow s = collect_flow(events, server_flow);
    ASSERT_TRUE(c.start() && s.start());
    for (const JsonLine* start : {c.start(), s.start()}) {
      SCOPED_TRACE(start->raw());
      EXPECT_EQ(start->boolean("snapshot"), std::optional<bool>(true));
    }
    expect_process(*c.start(), expected_process(Helper::tcp_client, client.pid(), std::nullopt),
                   Presence::required);
    expect_process(*s.start(),
                   expected_process(Helper::prefork_server, worker->worker_pid, std::nullopt),
                   Presence::required);
    EXPECT_EQ(c.start()->integer("out_bytes"), kSentBeforeStart) << c.start()->raw();
    EXPECT_EQ(s.start()->integer("in_bytes"), kSentBeforeStart) << s.start()->raw();
  }

  // The client goes away: both sides end as traced, with their whole counts.
  client.signal(SIGTERM);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}));
  auto events = procflow().events();
  const Flow c = collect_flow(events, client_flow);
  const Flow s = collect_flow(events, server_flow);
  ASSERT_TRUE(c.end() && s.end());
  EXPECT_EQ(c.starts.size(), 1u);
  EXPECT_NE(c.end()->str("end_reason"), std::optional<std::string>("tracer_stop"))
      << c.end()->raw();
  EXPECT_EQ(c.end()->integer("out_bytes"), kSentBeforeStart) << c.end()->raw();
  EXPECT_EQ(s.end()->integer("in_bytes"), kSentBeforeStart) << s.end()->raw();
  EXPECT_FALSE(c.end()->has("snapshot")) << "only the start is a snapshot";
  EXPECT_NE(procflow().stderr_text().find("that existed before procflow started"),
            std::string::npos)
      << procflow().stderr_text();
}

// With no accept hook and no send/recv hook (the listener fallback), an
// accepted connection's owner is the process that listens. A listener that
// predates procflow is found by the start-up walk; its owner (the pre-fork
// parent, which created the listening socket) comes from /proc.
TEST_F(ExistingConnectionsTest, AListenerOpenBeforeTheStartNamesTheOwnerOfWhatItAccepts) {
  const std::string server_ip = topo().host_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 2, kReply);
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--disable-hook", "syscall_tp,sock_length"}));
  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort), "10"});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  FlowSelector server_flow =
      server_side(topo().ns_ip4(), truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({server_flow}));
  const Flow s = collect_flow(procflow().events(), server_flow);
  ASSERT_TRUE(s.end());
  expect_process(*s.end(),
                 expected_process(Helper::prefork_server, server->parent_pid(), std::nullopt),
                 Presence::required);
}

}  // namespace
}  // namespace procflow_it
