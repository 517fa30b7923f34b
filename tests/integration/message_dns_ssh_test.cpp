// message events of DNS (a real dnsmasq) and SSH (a private sshd): a query
// written byte by byte here and dnsmasq's answer, each with proto_info naming
// the question and, on the answer, the record; sshd's and the client's
// version banners. Both sides of each: the scripted client in the namespace,
// dnsmasq (as nobody) and sshd in the root namespace.
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "dns_server.h"
#include "message_test.h"
#include "ssh_server.h"

namespace procflow_it {
namespace {

constexpr uint16_t kQueryId = 0x2b67;
constexpr const char* kQueryName = "web.test";
constexpr const char* kClientBanner = "SSH-2.0-procflow_it_1.0";

// A standard query (RD set) for `name`, type A, class IN.
std::string dns_query(uint16_t id, const std::string& name) {
  std::string q = {static_cast<char>(id >> 8),
                   static_cast<char>(id & 0xff),
                   0x01,
                   0x00,
                   0x00,
                   0x01,
                   0x00,
                   0x00,
                   0x00,
                   0x00,
                   0x00,
                   0x00};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    std::string label = name.substr(start, dot == std::string::npos ? dot : dot - start);
    q += static_cast<char>(label.size());
    q += label;
    start = dot == std::string::npos ? name.size() : dot + 1;
  }
  q += std::string("\x00\x00\x01\x00\x01", 5);
  return q;
}

class MessageDnsTest : public MessageTest {
 protected:
  void TearDown() override {
    if (HasFailure() && dns_) std::cerr << "===== dnsmasq =====\n" << dns_->process().describe();
    dns_.reset();  // before the topology (and with it dnsmasq's address) goes
    MessageTest::TearDown();
  }
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(MessageDnsTest, QueryAndAnswerCarryQuestionAndRecord) {
  ASSERT_FALSE(system_program_path("dnsmasq").empty()) << "this test needs dnsmasq";
  const std::string answer_ip = "10.213." + std::to_string(topo().subnet()) + ".10";
  dns_ = std::make_unique<DnsServer>(
      topo().netns(), topo().host_ip4(),
      std::vector<std::string>{"--host-record=" + std::string(kQueryName) + "," + answer_ip});
  ASSERT_TRUE(dns_->wait_ready());
  ASSERT_NO_FATAL_FAILURE(start_procflow());

  Transcript t;
  TalkScript script;
  script.send(dns_query(kQueryId, kQueryName)).recv_datagram();
  ASSERT_NO_FATAL_FAILURE(talk("udp", topo().host_ip4(), kDnsPort, script, &t));
  ASSERT_EQ(t.turns.size(), 2u);
  ASSERT_GE(t.turns[1].bytes.size(), 12u);
  ASSERT_EQ(t.turns[1].bytes.substr(0, 2), t.turns[0].bytes.substr(0, 2)) << "answer id";

  FlowSelector client = client_flow_of(t, topo().host_ip4(), kDnsPort, "UDP");
  FlowSelector server = server_flow_of(t, topo().host_ip4(), kDnsPort, "UDP");
  // The client's connected socket ends with its close; dnsmasq's socket
  // lives on, so its flow ends when procflow stops.
  ASSERT_TRUE(wait_for_ends({client}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  auto events = procflow().events();
  Flow client_flow = collect_flow(events, client);
  Flow server_flow = collect_flow(events, server);

  auto dns_info = [&](const Turn& turn, size_t) -> std::map<std::string, std::string> {
    std::map<std::string, std::string> info = {{"id", std::to_string(kQueryId)},
                                               {"opcode", "QUERY"},
                                               {"qname", kQueryName},
                                               {"qtype", "A"}};
    if (turn.from == TurnFrom::server) {
      info["rcode"] = "NOERROR";
      info["answers"] = "A " + answer_ip;
    }
    return info;
  };
  MessageCheck client_check{client, talk_process(t), ndpi_name::dns};
  MessageCheck server_check{server,
                            ExpectedProcess{dns_->pid(), getpid(), "dnsmasq",
                                            system_program_path("dnsmasq"), kNobodyUid, "nobody"},
                            ndpi_name::dns};
  expect_messages(client_flow, client_check,
                  expected_messages(t, Side::client, Messages::first, dns_info));
  expect_messages(server_flow, server_check,
                  expected_messages(t, Side::server, Messages::first, dns_info));
}

class MessageSshTest : public MessageTest {
 protected:
  std::unique_ptr<SshServer> sshd_;  // a member: TearDown prints it after the test body
};

TEST_F(MessageSshTest, BothVersionBannersAreMessages) {
  sshd_ = std::make_unique<SshServer>(topo().host_ip4(), kSshPort);
  SshServer& sshd = *sshd_;
  print_on_failure("sshd", [this] { return sshd_->describe(); });
  ASSERT_TRUE(sshd.start());
  ASSERT_NO_FATAL_FAILURE(start_procflow());

  // sshd speaks first; the client answers with its banner once it has
  // sshd's, then waits for the start of sshd's key exchange and closes.
  Transcript t;
  TalkScript script;
  script.recv_line("SSH-").send(std::string(kClientBanner) + "\r\n").recv_any();
  ASSERT_NO_FATAL_FAILURE(talk("tcp", topo().host_ip4(), kSshPort, script, &t));
  ASSERT_GE(t.turns.size(), 3u);
  ASSERT_TRUE(t.turns[0].bytes.starts_with("SSH-2.0-OpenSSH_")) << t.turns[0].bytes;

  auto banner_info = [](const Turn& turn, size_t) -> std::map<std::string, std::string> {
    std::string line = turn.bytes.substr(0, turn.bytes.find("\r\n"));
    return {{"banner", line}};
  };
  MessageCheck client{client_flow_of(t, topo().host_ip4(), kSshPort), talk_process(t),
                      ndpi_name::ssh};
  // sshd -d does not fork per connection: the spawned process (root) sends
  // its banner and reads the client's, then hands the connection to its
  // privilege-separated child, which runs as the sshd user. Each event names
  // one of the two, exactly.
  MessageCheck server{server_flow_of(t, topo().host_ip4(), kSshPort),
                      spawned_process(sshd.pid(), sshd.image_path()), ndpi_name::ssh};
  const passwd* sshd_user = getpwnam("sshd");
  ASSERT_NE(sshd_user, nullptr) << "openssh-server creates the sshd user";
  const ExpectedProcess listener = server.process;
  const ExpectedProcess privsep_child{
      -1, sshd.pid(), "sshd", sshd.image_path(), sshd_user->pw_uid, "sshd"};
  server.process_check = [listener, privsep_child](const JsonLine& event) {
    if (event.integer("pid") == listener.pid) {
      expect_process(event, listener, Presence::required);
      return;
    }
    ExpectedProcess child = privsep_child;
    child.pid = event.integer("pid").value_or(-1);  // unknown in advance; its parent is not
    expect_process(event, child, Presence::required);
  };
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(both_flows(client.selector, server.selector, &client_flow, &server_flow));
  // The first turn each way: sshd's banner, then the client's.
  expect_messages(client_flow, client,
                  expected_messages(t, Side::client, Messages::first, banner_info));
  expect_messages(server_flow, server,
                  expected_messages(t, Side::server, Messages::first, banner_info));
}

}  // namespace
}  // namespace procflow_it
