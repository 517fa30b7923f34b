// Names from messages: when no DNS answer named a destination, the TLS SNI or
// the HTTP Host a client sent names it (dest_fqdn, with dest_fqdn_source
// "tls_sni" / "http_host"). The root namespace's own addresses are named
// "local" (the host's name), so here nginx runs in the test's namespace, on
// its side of the veth, and the clients in the root namespace: the traffic
// still crosses the traced veth, and nothing but the message can name
// 10.213.N.2.
#include <unistd.h>

#include <memory>

#include "http_proto_info.h"
#include "message_test.h"
#include "nginx_server.h"
#include "python_peer.h"

namespace procflow_it {
namespace {

class MessageNamingTest : public MessageTest {
 protected:
  void SetUp() override {
    MessageTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    nginx_ =
        std::make_unique<NginxServer>(topo().ns_ip4(), kHttpPort, kHttpsPort, topo().in_ns({}));
    print_on_failure("nginx", [this] { return nginx_->describe(); });
    ASSERT_TRUE(nginx_->start());
  }
  ExpectedProcess nginx_worker() const {
    return ExpectedProcess{nginx_->worker_pid(), nginx_->master_pid(), "nginx",
                           nginx_->image_path(), kNobodyUid,           "nobody"};
  }
  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(MessageNamingTest, HttpHostNamesAnUnnamedServer) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  Transcript t;
  TalkScript script;
  script
      .send("GET /one.txt HTTP/1.1\r\nHost: " + std::string(NginxServer::kTlsName) +
            "\r\nUser-Agent: procflow-it/1\r\n\r\n")
      .recv_http();
  ASSERT_NO_FATAL_FAILURE(talk_from_root("tcp", topo().ns_ip4(), kHttpPort, script, &t));
  MessageCheck client{
      client_flow_of(t, topo().ns_ip4(), kHttpPort),
      ExpectedProcess{t.pid, getpid(), python_exe(), python_image_path(), 0, "root"},
      ndpi_name::http};
  MessageCheck server{server_flow_of(t, topo().ns_ip4(), kHttpPort), nginx_worker(),
                      ndpi_name::http};
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(both_flows(client.selector, server.selector, &client_flow, &server_flow));
  auto info = [](const Turn& turn, size_t) { return http_proto_info(turn); };
  expect_messages(client_flow, client, expected_messages(t, Side::client, Messages::first, info));
  expect_messages(server_flow, server, expected_messages(t, Side::server, Messages::first, info));
  expect_named_by_message(client_flow, NginxServer::kTlsName, "http_host");
}

TEST_F(MessageNamingTest, TlsSniNamesAnUnnamedServer) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string curl = system_program_path("curl");
  SpawnedProcess& client =
      run_in_root({curl, "-sS", "-k", "-o", "/dev/null", "-w", "%{local_port}", "--resolve",
                   std::string(NginxServer::kTlsName) + ":" + std::to_string(kHttpsPort) + ":" +
                       topo().ns_ip4(),
                   "https://" + std::string(NginxServer::kTlsName) + ":" +
                       std::to_string(kHttpsPort) + "/one.txt"});
  ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
  const FlowSelector selector{topo().host_ip4(),
                              std::stoll(client.out().text()),
                              topo().ns_ip4(),
                              kHttpsPort,
                              true,
                              std::nullopt,
                              "TCP"};
  ASSERT_TRUE(wait_for_ends({selector}));
  Flow flow = collect_flow(procflow().events(), selector);
  ASSERT_TRUE(flow.end()) << "no end event";
  expect_process(*flow.end(), spawned_process(client.pid(), curl), Presence::required);
  expect_named_by_message(flow, NginxServer::kTlsName, "tls_sni");
}

}  // namespace
}  // namespace procflow_it
