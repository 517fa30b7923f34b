// `user` in a mount namespace whose passwd differs from the host's (issue 7):
// helpers run inside the test's network namespace under
//   unshare --mount sh -c 'mount --bind PASSWD /etc/passwd && exec setpriv ...'
// as uid 65534, which that passwd names "pfinside" and the host "nobody".
//
// - A process that lives while procflow looks at it: "pfinside", exactly.
// - Processes that exit at once: "pfinside" when procflow could still read
//   their namespace, else no "user" at all; the host's "nobody" never.
// - Control: short-lived processes in procflow's own mount namespace (only
//   the network namespace entered, with nsenter) are named from the host
//   file, exactly, every time.
#include <pwd.h>

#include <fstream>

#include "flow_assertions.h"
#include "integration_test.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

constexpr const char* kInsideName = "pfinside";
constexpr int kShortLivedRuns = 10;
constexpr int kClientBytes = 100;

std::string host_name_of(uid_t uid) {
  const passwd* pw = getpwuid(uid);
  return pw ? pw->pw_name : "";
}

class NamespaceUserTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    dir_ = std::make_unique<ScratchDir>("pf-it-passwd-");
    passwd_ = dir_->path() / "passwd";
    std::ofstream(passwd_) << "root:x:0:0:root:/root:/bin/sh\n"
                           << kInsideName << ":x:" << kNobodyUid << ":" << kNobodyUid
                           << ":inside:/nonexistent:/usr/sbin/nologin\n";
    ASSERT_NE(host_name_of(kNobodyUid), kInsideName);
    ASSERT_FALSE(host_name_of(kNobodyUid).empty());
  }

  // argv run as uid 65534 in a mount namespace of its own, where /etc/passwd
  // is passwd_; every step execs, so the spawned pid is the helper's.
  std::vector<std::string> in_own_mount_namespace(std::vector<std::string> argv) const {
    std::vector<std::string> out = {
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/passwd && exec setpriv --reuid=65534 --regid=65534 "
        "--clear-groups \"$@\"",
        passwd_.string()};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  // Waits for the end of each client's flow; the flows, in the same order.
  std::vector<Flow> flows_of(const std::vector<ClientTruth>& runs) {
    const std::string server_ip = topo().host_ip4();
    std::vector<FlowSelector> selectors;
    for (const auto& run : runs) {
      selectors.push_back(client_side(topo().ns_ip4(), run.local_port, server_ip, kServerPort));
      selectors.back().pid = run.pid;
    }
    if (!wait_for_ends(selectors, 30s)) return {};
    std::vector<Flow> flows;
    const auto events = procflow().events();
    for (const auto& selector : selectors) flows.push_back(collect_flow(events, selector));
    return flows;
  }

  std::unique_ptr<ScratchDir> dir_;
  std::filesystem::path passwd_;
};

TEST_F(NamespaceUserTest, LongLivedProcessIsNamedFromItsNamespacePasswd) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 0), nullptr);
  SpawnedProcess& client = run_in_ns(in_own_mount_namespace(
      {helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
       std::to_string(kClientBytes), "--hold-ms", "1500"}));
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && client.status() && client.status()->success()) << client.describe();
  ASSERT_EQ(truth->pid, client.pid()) << "unshare, sh and setpriv must exec, not fork";

  auto flows = flows_of({*truth});
  ASSERT_EQ(flows.size(), 1u);
  ASSERT_EQ(flows[0].starts.size(), 1u) << dump(flows[0].starts);
  ASSERT_EQ(flows[0].ends.size(), 1u) << dump(flows[0].ends);
  for (const JsonLine* event : flows[0].all()) {
    EXPECT_EQ(event->integer("uid"), kNobodyUid) << event->raw();
    EXPECT_EQ(event->str("user"), kInsideName) << event->raw();
  }
}

// Regression (issue 7): once such a process was gone, its namespace's passwd
// could not be read and the host's name for the same uid was reported.
TEST_F(NamespaceUserTest, ShortLivedProcessIsNamedFromItsNamespaceOrNotAtAll) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 2, 0), nullptr);
  std::vector<ClientTruth> runs;
  for (int i = 0; i < kShortLivedRuns; ++i) {
    SpawnedProcess& client = run_in_ns(in_own_mount_namespace(
        {helper_path(Helper::quick_connect), server_ip, std::to_string(kServerPort)}));
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && client.status() && client.status()->success()) << client.describe();
    runs.push_back(*truth);
  }
  auto flows = flows_of(runs);
  ASSERT_EQ(flows.size(), runs.size());
  int named = 0;
  for (const Flow& flow : flows) {
    ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.ends);
    for (const JsonLine* event : flow.all()) {
      EXPECT_EQ(event->integer("uid"), kNobodyUid) << event->raw();
      if (!event->has("user")) continue;
      EXPECT_EQ(event->str("user"), kInsideName) << event->raw();
      named++;
    }
  }
  RecordProperty("events_named", named);
}

TEST_F(NamespaceUserTest, ShortLivedProcessInProcflowsMountNamespaceIsNamedFromTheHost) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 2, 0), nullptr);
  std::vector<ClientTruth> runs;
  std::vector<std::unique_ptr<SpawnedProcess>> clients;
  for (int i = 0; i < kShortLivedRuns; ++i) {
    // nsenter joins the network namespace only: /etc/passwd is the host's.
    std::vector<std::string> argv = {"nsenter", "--net=/run/netns/" + topo().netns()};
    for (auto& arg :
         as_user({helper_path(Helper::quick_connect), server_ip, std::to_string(kServerPort)},
                 RunAs::nobody))
      argv.push_back(std::move(arg));
    clients.push_back(std::make_unique<SpawnedProcess>(argv));
    SpawnedProcess& client = *clients.back();
    ASSERT_TRUE(client.wait(15s)) << client.describe();
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && client.status()->success()) << client.describe();
    runs.push_back(*truth);
  }
  auto flows = flows_of(runs);
  ASSERT_EQ(flows.size(), runs.size());
  for (const Flow& flow : flows) {
    ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.ends);
    for (const JsonLine* event : flow.all()) {
      EXPECT_EQ(event->str("user"), host_name_of(kNobodyUid)) << event->raw();
    }
  }
}

}  // namespace
}  // namespace procflow_it
