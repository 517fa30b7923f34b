// Interfaces that appear while procflow runs: started with `--interfaces
// lo,<veth>` before that veth exists, procflow must say it will trace it when
// it appears, then attach its TC programs to it as soon as it is created, so
// that a connection across it gets the packet count a capture of the same
// interface shows. The socket-segment fallback (no TC entry) often gives the
// same number for a plain exchange, so the tcx links on the new ifindex are
// checked in the kernel as well.
#include <thread>

#include "bpf_leftovers.h"
#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"

namespace procflow_it {
namespace {

constexpr int kClientBytes = 3000;
constexpr int kRounds = 3;
constexpr int kReplyBytes = 2000;

class InterfaceHotplugTest : public IntegrationTest {
 protected:
  // The veth must not exist when procflow starts: SetUp only names it.
  InterfaceHotplugTest() : IntegrationTest(Topology::When::later) {}
};

TEST_F(InterfaceHotplugTest, VethCreatedAfterStartIsTraced) {
  const std::string veth = topo().host_if();
  ASSERT_FALSE(topo().built());
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({"lo", veth}));
  EXPECT_TRUE(procflow().wait_for_log("no interface named '" + veth +
                                      "' yet: it will be traced when it appears"))
      << procflow().stderr_text();

  try {
    topo().build();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  ASSERT_TRUE(procflow().wait_for_log("tracing new interface " + veth))
      << "procflow did not attach to " << veth << " when it appeared:\n"
      << procflow().stderr_text();
  // tcx on this kernel: both programs are linked to the new ifindex.
  auto attached = attachments_on(veth);
  std::string listing;
  for (const auto& line : attached) listing += "  " + line + "\n";
  EXPECT_TRUE(has_attachment(attached, "tcx ingress", "pf_tc_ingress")) << listing;
  EXPECT_TRUE(has_attachment(attached, "tcx egress", "pf_tc_egress")) << listing;

  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  PreforkServer* server = start_server(server_ip, kServerPort, 1, kReplyBytes, ServerMode::echo);
  ASSERT_NE(server, nullptr);
  PacketCapture capture(veth);
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                 std::to_string(kClientBytes), "--rounds", std::to_string(kRounds)});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kClientBytes) << client.describe();
  ASSERT_TRUE(server->wait_for_peer(truth->local_port));

  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto seen = capture.connection(client_ip, truth->local_port, server_ip, kServerPort, &error);
  ASSERT_TRUE(seen) << error;
  ASSERT_GT(seen->packets, 10) << "captured:\n" << seen->frames << capture.describe();
  auto events = procflow().events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow flow = collect_flow(events, selector);
    ASSERT_TRUE(flow.end());
    expect_end_matches_capture(*flow.end(), *seen);
  }
}

}  // namespace
}  // namespace procflow_it
