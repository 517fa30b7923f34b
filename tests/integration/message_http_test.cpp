// message events of HTTP/1.1 with keep-alive against a real nginx: a scripted
// client in the namespace sends two requests on one connection, written byte
// by byte here, and waits for each whole response before the next, so the
// connection has four turns. Both local sockets (the client's and nginx's
// worker's) must report them: with --messages first the first request and
// the first response, with --messages all every request and response, each
// with its exact content, proto_info, direction and process. Also: content
// cut at --content-bytes, and no message at all with --content-bytes 0.
#include <memory>

#include "http_proto_info.h"
#include "message_test.h"
#include "nginx_server.h"

namespace procflow_it {
namespace {

constexpr const char* kUserAgent = "procflow-it/1";

std::string request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + NginxServer::kTlsName +
         "\r\nUser-Agent: " + kUserAgent + "\r\nAccept: */*\r\n\r\n";
}

std::map<std::string, std::string> http_info(const Turn& turn, size_t) {
  return http_proto_info(turn);
}

class MessageHttpTest : public MessageTest {
 protected:
  void SetUp() override {
    MessageTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    nginx_ = std::make_unique<NginxServer>(topo().host_ip4(), kHttpPort, kHttpsPort);
    print_on_failure("nginx", [this] { return nginx_->describe(); });
    ASSERT_TRUE(nginx_->start());
  }

  // Two requests on one connection; the transcript proves the harness: four
  // turns, each response ending in the file's exact content.
  void two_requests(Transcript* t) {
    TalkScript script;
    script.send(request("/one.txt")).recv_http().send(request("/two.txt")).recv_http();
    ASSERT_NO_FATAL_FAILURE(talk("tcp", topo().host_ip4(), kHttpPort, script, t));
    ASSERT_EQ(t->turns.size(), 4u);
    const auto& files = NginxServer::files();
    for (auto [turn, path] : {std::pair{1, "/one.txt"}, std::pair{3, "/two.txt"}}) {
      const std::string& body = files.at(path);
      const std::string& response = t->turns[turn].bytes;
      ASSERT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
      ASSERT_TRUE(response.ends_with("\r\n\r\n" + body)) << response;
    }
  }

  MessageCheck client_check(const Transcript& t, int64_t content_bytes = kDefaultContentBytes) {
    return {client_flow_of(t, topo().host_ip4(), kHttpPort), talk_process(t), ndpi_name::http,
            content_bytes};
  }
  MessageCheck server_check(const Transcript& t, int64_t content_bytes = kDefaultContentBytes) {
    return {server_flow_of(t, topo().host_ip4(), kHttpPort), nginx_worker(), ndpi_name::http,
            content_bytes};
  }
  // nginx's worker accepted and served the connection; it runs as nobody.
  ExpectedProcess nginx_worker() const {
    return ExpectedProcess{nginx_->worker_pid(), nginx_->master_pid(), "nginx",
                           nginx_->image_path(), kNobodyUid,           "nobody"};
  }

  void expect_both_sides(const Transcript& t, Messages messages, int64_t content_bytes) {
    MessageCheck client = client_check(t, content_bytes);
    MessageCheck server = server_check(t, content_bytes);
    Flow client_flow, server_flow;
    ASSERT_NO_FATAL_FAILURE(
        both_flows(client.selector, server.selector, &client_flow, &server_flow));
    expect_messages(client_flow, client, expected_messages(t, Side::client, messages, http_info));
    expect_messages(server_flow, server, expected_messages(t, Side::server, messages, http_info));
  }

  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(MessageHttpTest, KeepAliveFirstMessagesAreTheFirstRequestAndResponse) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--messages", "first"}));
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(two_requests(&t));
  // 2 per side: request out + response in (client), request in + response out (worker).
  expect_both_sides(t, Messages::first, kDefaultContentBytes);
}

TEST_F(MessageHttpTest, KeepAliveAllMessagesAreEveryRequestAndResponse) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--messages", "all"}));
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(two_requests(&t));
  expect_both_sides(t, Messages::all, kDefaultContentBytes);
}

TEST_F(MessageHttpTest, DefaultsAreFirstMessagesOf512Bytes) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(two_requests(&t));
  expect_both_sides(t, Messages::first, kDefaultContentBytes);
}

TEST_F(MessageHttpTest, ContentIsCutAtContentBytes) {
  // 40 bytes: inside every request and response, so every content is cut,
  // while proto_info still needs only the first line.
  constexpr int64_t kBytes = 40;
  ASSERT_NO_FATAL_FAILURE(
      start_procflow({"--messages", "all", "--content-bytes", std::to_string(kBytes)}));
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(two_requests(&t));
  for (const Turn& turn : t.turns) ASSERT_GT(turn.bytes.size(), static_cast<size_t>(kBytes));
  MessageCheck client = client_check(t, kBytes);
  MessageCheck server = server_check(t, kBytes);
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(both_flows(client.selector, server.selector, &client_flow, &server_flow));
  // User-Agent lies beyond the first 40 bytes (the request line and Host do not).
  auto first_line_info = [](const Turn& turn, size_t) {
    auto info = http_proto_info(turn);
    info.erase("user_agent");
    return info;
  };
  expect_messages(client_flow, client,
                  expected_messages(t, Side::client, Messages::all, first_line_info));
  expect_messages(server_flow, server,
                  expected_messages(t, Side::server, Messages::all, first_line_info));
}

TEST_F(MessageHttpTest, ContentBytesZeroEmitsNoMessages) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--content-bytes", "0"}));
  Transcript t;
  ASSERT_NO_FATAL_FAILURE(two_requests(&t));
  FlowSelector client = client_flow_of(t, topo().host_ip4(), kHttpPort);
  FlowSelector server = server_flow_of(t, topo().host_ip4(), kHttpPort);
  Flow client_flow, server_flow;
  ASSERT_NO_FATAL_FAILURE(both_flows(client, server, &client_flow, &server_flow));
  // The flows themselves are there, whole.
  EXPECT_EQ(client_flow.starts.size(), 1u);
  EXPECT_EQ(server_flow.starts.size(), 1u);
  for (const auto& event : procflow().events()) {
    EXPECT_NE(event.str("action"), std::optional<std::string>("message")) << event.raw();
    EXPECT_FALSE(event.has("content")) << event.raw();
  }
}

}  // namespace
}  // namespace procflow_it
