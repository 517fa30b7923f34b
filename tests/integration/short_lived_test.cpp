// Short-lived clients: a process that connects, sends one byte and exits at
// once is gone before anyone could read /proc, yet its flow must name it
// exactly (pid, exe, image_path) and its user, here nobody via setpriv (or,
// in the mount namespace `ip netns exec` gives it, no user: see
// flow_assertions.cpp). Repeated many times, because a race loses only some
// of them.
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

constexpr int kRuns = 50;

class ShortLivedTest : public IntegrationTest {};

TEST_F(ShortLivedTest, EveryQuickClientIsNamedExactly) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 2, 0);
  ASSERT_NE(server, nullptr);

  std::vector<ClientTruth> runs;
  for (int i = 0; i < kRuns; ++i) {
    SpawnedProcess& client =
        run_in_ns({helper_path(Helper::quick_connect), server_ip, std::to_string(kServerPort)},
                  RunAs::nobody);
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && client.status() && client.status()->success()) << client.describe();
    ASSERT_EQ(truth->pid, client.pid()) << "setpriv/ip netns exec must exec, not fork";
    runs.push_back(*truth);
  }

  std::vector<FlowSelector> selectors;
  for (const auto& run : runs) {
    FlowSelector selector = client_side(client_ip, run.local_port, server_ip, kServerPort);
    selector.pid = run.pid;
    selectors.push_back(selector);
  }
  ASSERT_TRUE(wait_for_ends(selectors, 30s));

  auto events = procflow().events();
  for (const auto& run : runs) {
    FlowSelector selector = client_side(client_ip, run.local_port, server_ip, kServerPort);
    Flow flow = collect_flow(events, selector);
    SCOPED_TRACE("quick_connect pid " + std::to_string(run.pid));
    ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.ends);
    ExpectedProcess expected =
        expected_process(Helper::quick_connect, run.pid, getpid(), RunAs::nobody);
    expect_process(*flow.end(), expected, Presence::required);
    EXPECT_EQ(flow.end()->integer("out_bytes"), std::optional<int64_t>(1)) << flow.end()->raw();
    EXPECT_EQ(flow.starts.size(), 1u);
    if (flow.start()) expect_process(*flow.start(), expected, Presence::required);
  }
}

}  // namespace
}  // namespace procflow_it
