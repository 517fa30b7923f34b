// A refused connection attempt is a flow too: the SYN starts it, the RST that
// answers it ends it with end_reason "reset", over IPv4 and IPv6.
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

class RefusedTest : public IntegrationTest {
 protected:
  void refuse_and_check(const std::string& server_ip, const std::string& client_ip) {
    ASSERT_NO_FATAL_FAILURE(start_procflow());
    SpawnedProcess& client =
        run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kClosedPort), "100"});
    auto truth = client_truth(client);
    ASSERT_TRUE(truth) << client.describe();
    ASSERT_FALSE(truth->error.empty()) << "the connect should have been refused";
    ASSERT_FALSE(client.status()->success());
    ASSERT_NE(truth->local_port, 0) << "tcp_client could not tell its local port";

    FlowSelector selector = client_side(client_ip, truth->local_port, server_ip, kClosedPort);
    ASSERT_TRUE(wait_for_ends({selector}));
    Flow flow = collect_flow(procflow().events(), selector);

    ExpectedFlow expected;
    expected.process = expected_process(Helper::tcp_client, truth->pid, getpid(), RunAs::root);
    expected.in_bytes = 0;
    expected.out_bytes = 0;
    expected.end_reason = "reset";
    expected.flags = {"SYN", "RST"};
    expect_flow(flow, selector, expected);
  }
};

TEST_F(RefusedTest, Ipv4RefusedConnectEndsWithReset) {
  refuse_and_check(topo().host_ip4(), topo().ns_ip4());
}

TEST_F(RefusedTest, Ipv6RefusedConnectEndsWithReset) {
  refuse_and_check(topo().host_ip6(), topo().ns_ip6());
}

}  // namespace
}  // namespace procflow_it
