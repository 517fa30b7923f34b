// A reload changes the enrichment while tracing: PTR look-ups turned on (with
// the server the config names) and off again by SIGHUP, without a restart.
// dnsmasq answers the PTR query for the namespace's address; the client's
// address is in no DNS answer and no hosts file, so only a PTR look-up can
// name it.
#include <signal.h>

#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns_server.h"
#include "ground_truth.h"
#include "integration_test.h"
#include "json_line.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

using namespace std::chrono_literals;

constexpr int kPort = 18651;
constexpr char kPtrName[] = "client-ptr.test";

// "10.1.2.3" -> "3.2.1.10.in-addr.arpa"
std::string reverse_zone_name(const std::string& ip4) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = ip4.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(ip4.substr(start, dot - start));
  parts.push_back(ip4.substr(start));
  std::string name;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) name += *it + ".";
  return name + "in-addr.arpa";
}

class EnrichmentReloadTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dns_ = std::make_unique<DnsServer>(
        topo().netns(), topo().host_ip4(),
        std::vector<std::string>{"--ptr-record=" + reverse_zone_name(topo().ns_ip4()) + "," +
                                 kPtrName});
    ASSERT_TRUE(dns_->wait_ready());
  }
  void TearDown() override {
    if (HasFailure() && dns_) std::cerr << "===== dnsmasq =====\n" << dns_->process().describe();
    dns_.reset();
    IntegrationTest::TearDown();
  }

  void write_config(bool reverse_dns) {
    std::ofstream(config_) << "outputs:\n  - uri: file:" << flows_ << "\n"
                           << "filter:\n  include: {port: [" << kPort << "]}\n"
                           << "interfaces: [" << topo().host_if() << "]\n"
                           << "enrichment:\n  reverse_dns: " << (reverse_dns ? "true" : "false")
                           << "\n  reverse_dns_server: " << topo().host_ip4() << "\n";
  }

  // One connection from the namespace; the accepting side's start, whose
  // source is the client (the namespace's address).
  std::optional<JsonLine> accepted_start() {
    SpawnedProcess& client = run_in_ns(
        {helper_path(Helper::tcp_client), topo().host_ip4(), std::to_string(kPort), "100"});
    const auto truth = client_truth(client);
    if (!truth || !truth->error.empty()) {
      ADD_FAILURE() << client.describe();
      return std::nullopt;
    }
    for (int i = 0; i < 200; ++i) {
      std::ifstream in(flows_);
      for (std::string line; std::getline(in, line);) {
        auto e = JsonLine::parse(line);
        if (e && e->str("action") == "start" && e->integer("src_port") == truth->local_port &&
            e->integer("dest_port") == kPort &&
            line.find("\"initiated\":false") != std::string::npos)
          return e;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no accepted start for client port " << truth->local_port;
    return std::nullopt;
  }

  std::unique_ptr<DnsServer> dns_;
  ScratchDir scratch_{"procflow-enrichment-reload"};
  const std::string config_ = (scratch_.path() / "procflow.yaml").string();
  const std::string flows_ = (scratch_.path() / "flows.json").string();
};

TEST_F(EnrichmentReloadTest, ReverseDnsIsTurnedOnAndOffBySighup) {
  write_config(false);
  SpawnedProcess service({procflow_binary(), "run", "--config", config_});
  ASSERT_TRUE(service.err().wait_for_text("tracing started", 1, 20s)) << service.describe();
  ASSERT_NE(start_server(topo().host_ip4(), kPort, 1, 100), nullptr);

  // Off: the client's address has no name.
  auto off = accepted_start();
  ASSERT_TRUE(off);
  EXPECT_EQ(off->str("src_fqdn"), std::nullopt) << off->raw();

  // On, by a reload: the first flow queues the PTR query and goes out
  // unnamed; once the answer is in, the next flows carry the name.
  write_config(true);
  service.signal(SIGHUP);
  ASSERT_TRUE(service.err().wait_for_text("reloaded:", 1, 20s)) << service.describe();
  EXPECT_EQ(service.err().text().find("takes effect at the next restart"), std::string::npos)
      << service.describe();
  std::optional<JsonLine> named;
  for (int i = 0; i < 20 && !(named && named->str("src_fqdn")); ++i) {
    named = accepted_start();
    ASSERT_TRUE(named);
    if (!named->str("src_fqdn")) std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(named->str("src_fqdn"), std::optional<std::string>(kPtrName)) << named->raw();
  EXPECT_EQ(named->str("src_fqdn_source"), std::optional<std::string>("ptr")) << named->raw();

  // Off again: no PTR name, though the answer was cached by the old resolver.
  write_config(false);
  service.signal(SIGHUP);
  ASSERT_TRUE(service.err().wait_for_text("reloaded:", 2, 20s)) << service.describe();
  auto off_again = accepted_start();
  ASSERT_TRUE(off_again);
  EXPECT_EQ(off_again->str("src_fqdn"), std::nullopt) << off_again->raw();

  service.signal(SIGTERM);
  const auto status = service.wait(20s);
  ASSERT_TRUE(status && status->success()) << service.describe();
}

}  // namespace
}  // namespace procflow_it
