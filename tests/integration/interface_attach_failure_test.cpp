// One interface that cannot be attached must not stop procflow: it says which
// one and why, counts it in the exit report, traces the others, and leaves the
// interface as it found it.
//
// The failure is real, not simulated: with tcx disabled procflow attaches
// through a clsact qdisc, and an `ingress` qdisc (added here, as another tool
// would) holds the same slot of the device, so no clsact filter can go there.
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"

namespace procflow_it {
namespace {

constexpr int kClientBytes = 3000;
constexpr int kRounds = 3;
constexpr int kReplyBytes = 2000;

// A veth pair in the root namespace whose first end carries an `ingress`
// qdisc; deleted (with its qdisc) when the test ends.
class BlockedVeth {
 public:
  BlockedVeth() : name_("pfblk" + std::to_string(getpid() % 100000)) {
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", name_, "type", "veth", "peer", "name", name_ + "p"},
             {"ip", "link", "set", name_, "up"},
             {"tc", "qdisc", "add", "dev", name_, "ingress"}}) {
      CommandResult r = run_command(argv);
      if (!r.ok()) throw std::runtime_error(r.describe(argv));
    }
  }
  ~BlockedVeth() { run_command({"ip", "link", "del", name_}); }
  const std::string& name() const { return name_; }
  // `tc qdisc show dev NAME`.
  std::string qdiscs() const { return run_command({"tc", "qdisc", "show", "dev", name_}).out; }

 private:
  std::string name_;
};

class InterfaceAttachFailureTest : public IntegrationTest {};

TEST_F(InterfaceAttachFailureTest, OneInterfaceThatCannotBeAttachedIsSkippedAndCounted) {
  std::unique_ptr<BlockedVeth> blocked;
  try {
    blocked = std::make_unique<BlockedVeth>();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  const std::string veth = topo().host_if();
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({blocked->name(), veth}, {"--disable-hook", "tcx"}));
  EXPECT_TRUE(procflow().wait_for_log("not tracing packets on " + blocked->name() + ": "))
      << procflow().stderr_text();
  EXPECT_TRUE(procflow().wait_for_log("interfaces: " + veth + " )"))
      << "only " << veth << " is traced:\n"
      << procflow().stderr_text();

  // The other interface is traced: a connection across it gets the packet
  // count a capture of it shows.
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
  ASSERT_TRUE(server->wait_for_peer(truth->local_port));
  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto seen = capture.connection(client_ip, truth->local_port, server_ip, kServerPort, &error);
  ASSERT_TRUE(seen) << error;
  Flow flow = collect_flow(procflow().events(), client_flow);
  ASSERT_TRUE(flow.end());
  expect_end_matches_capture(*flow.end(), *seen);

  EXPECT_NE(procflow().stderr_text().find(
                "1 interfaces could not be traced (packets and DNS there are missing)"),
            std::string::npos)
      << procflow().stderr_text();
  // The qdisc procflow did not create is still there.
  EXPECT_NE(blocked->qdiscs().find("qdisc ingress ffff:"), std::string::npos) << blocked->qdiscs();
}

}  // namespace
}  // namespace procflow_it
