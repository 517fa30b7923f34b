// A connect that nobody answers is a flow too: the SYN starts it, and when the
// kernel gives up it ends with end_reason "timeout". The namespace's SYN
// retries are cut to one (per-namespace sysctl), so the kernel gives up after
// about 3 s (SYN, one retry after 1 s, 2 s more). The address is inside the
// veth's subnet but unused, so no ARP reply ever comes: whether the kernel
// reports ETIMEDOUT or EHOSTUNREACH, procflow must say "timeout".
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

class TimeoutTest : public IntegrationTest {};

TEST_F(TimeoutTest, UnansweredConnectEndsWithTimeout) {
  const auto sysctl_argv = topo().in_ns({"sysctl", "-w", "net.ipv4.tcp_syn_retries=1"});
  CommandResult sysctl = run_command(sysctl_argv);
  ASSERT_TRUE(sysctl.ok()) << sysctl.describe(sysctl_argv);
  ASSERT_NO_FATAL_FAILURE(start_procflow());

  // .77 of the namespace's own /24: on-link, so the kernel ARPs for it.
  const std::string host_ip4 = topo().host_ip4();
  const std::string silent_ip = host_ip4.substr(0, host_ip4.rfind('.')) + ".77";
  const std::string client_ip = topo().ns_ip4();
  auto started = std::chrono::steady_clock::now();
  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), silent_ip, std::to_string(kServerPort), "100"});
  auto took = std::chrono::steady_clock::now() - started;
  auto truth = client_truth(client);
  ASSERT_TRUE(truth) << client.describe();
  ASSERT_TRUE(truth->error == "Connection timed out" || truth->error == "No route to host")
      << "the connect should have timed out: " << client.describe();
  ASSERT_NE(truth->local_port, 0) << "tcp_client could not tell its local port";
  // tcp_client's own poll() gives up at 10 s; the kernel must have been first.
  ASSERT_LT(took, 9s) << "the kernel did not give up on its own; tcp_syn_retries not applied?";

  FlowSelector selector = client_side(client_ip, truth->local_port, silent_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({selector}, 5s));
  Flow flow = collect_flow(procflow().events(), selector);

  ExpectedFlow expected;
  expected.process = expected_process(Helper::tcp_client, truth->pid, getpid(), RunAs::root);
  expected.in_bytes = 0;
  expected.out_bytes = 0;
  expected.end_reason = "timeout";
  expected.flags = {"SYN"};
  // No packet ever reaches a traced interface (the SYN waits for ARP inside
  // the namespace), so packet_count is the socket's own fallback; not checked.
  expected.expect_packets = false;
  expect_flow(flow, selector, expected);
  if (flow.end()) {
    EXPECT_FALSE(split_flags(flow.end()->str("tcp_flags").value_or("")).count("ACK"))
        << "nothing ever answered, so there was no ACK: " << flow.end()->raw();
  }
}

}  // namespace
}  // namespace procflow_it
