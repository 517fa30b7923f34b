// A process connects and then execs another image (the socket stays open
// across exec): its pid does not change, its image, comm and exe do. The flow
// belongs to the image that last acted on the socket, and every process field
// of an event comes from that one image, never the new exe with the old comm.
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

constexpr int kSent = 100;
constexpr int kMoreSent = 50;
constexpr int kReply = 30;

// comm is the kernel's 15-character copy of the image's name.
std::string comm_of(const std::string& exe) {
  return exe.substr(0, 15);
}

class ExecHandoffTest : public IntegrationTest {
 protected:
  // connect_then_exec sends kSent to a server replying `reply` bytes, then
  // execs `program`; returns the client's flow and sets *pid.
  Flow run_handoff(int reply, std::vector<std::string> program, int64_t* pid) {
    const std::string server_ip = topo().host_ip4();
    PreforkServer* server = start_server(server_ip, kServerPort, 1, reply);
    EXPECT_NE(server, nullptr);
    if (!server) return {};
    std::vector<std::string> argv = {helper_path(Helper::connect_then_exec), server_ip,
                                     std::to_string(kServerPort), std::to_string(kSent)};
    argv.insert(argv.end(), program.begin(), program.end());
    SpawnedProcess& client = run_in_ns(argv);
    auto truth = client_truth(client);
    EXPECT_TRUE(truth && client.status() && client.status()->success()) << client.describe();
    if (!truth) return {};
    *pid = client.pid();
    FlowSelector mine = client_side(topo().ns_ip4(), truth->local_port, server_ip, kServerPort);
    EXPECT_TRUE(wait_for_ends({mine}));
    Flow flow = collect_flow(procflow().events(), mine);
    EXPECT_TRUE(flow.start() && flow.end()) << dump(procflow().events());
    return flow;
  }
  void expect_image(const JsonLine& event, Helper helper, int64_t pid) {
    SCOPED_TRACE(event.raw());
    EXPECT_EQ(event.integer("pid"), pid);
    EXPECT_EQ(event.str("exe"), helper_exe(helper));
    EXPECT_EQ(event.str("image_path"), helper_image_path(helper));
    EXPECT_EQ(event.str("comm"), comm_of(helper_exe(helper)));
  }
};

// The new image never touches the socket: the flow stays the connecting
// image's, on the start and on the end, although the process runs `sleep`
// when the socket closes.
TEST_F(ExecHandoffTest, ExecWithoutUseKeepsTheConnectingImageOnEveryField) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  int64_t pid = -1;
  Flow flow = run_handoff(0, {"/bin/sleep", "1"}, &pid);
  ASSERT_TRUE(flow.start() && flow.end());
  expect_image(*flow.start(), Helper::connect_then_exec, pid);
  expect_image(*flow.end(), Helper::connect_then_exec, pid);
  EXPECT_EQ(flow.end()->integer("out_bytes"), kSent) << flow.end()->raw();
}

// The new image sends on the inherited socket: from then on the flow is the
// new image's, all fields together (the start, made before the exec, keeps
// the old image).
TEST_F(ExecHandoffTest, ExecThenUseMovesEveryFieldToTheNewImage) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  int64_t pid = -1;
  Flow flow = run_handoff(kReply, {helper_path(Helper::fd_user), std::to_string(kMoreSent)}, &pid);
  ASSERT_TRUE(flow.start() && flow.end());
  expect_image(*flow.start(), Helper::connect_then_exec, pid);
  expect_image(*flow.end(), Helper::fd_user, pid);
  EXPECT_EQ(flow.end()->integer("out_bytes"), kSent + kMoreSent) << flow.end()->raw();
  EXPECT_EQ(flow.end()->integer("in_bytes"), kReply) << flow.end()->raw();
}

}  // namespace
}  // namespace procflow_it
