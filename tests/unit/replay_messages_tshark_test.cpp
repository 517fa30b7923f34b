// Replays tests/fixtures/pcap/messages/messages.pcap (real curl ↔ python http.server over one
// keep-alive connection, and openssl s_client ↔ s_server with SNI and ALPN; made by
// make-capture.sh next to it) with --messages all, and holds the `message` events against what
// tshark decodes from the same file: every HTTP request's method, target and Host, every
// response's status, the TLS ClientHello's SNI and ALPN. Also: nDPI's protocol on each end event,
// the SNI naming the TLS server, and the Basic credentials of the HTTP requests in no event.
//
// Needs tshark; skipped when it is not installed (a failure in CI: required_tool.h).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "output/json_serializer.h"
#include "proto/ndpi_engine.h"
#include "replay/capture_replay.h"
#include "replay/replay_flows.h"
#include "required_tool.h"

namespace procflow {
namespace {

constexpr const char* kCapture = PROCFLOW_TEST_FIXTURES "/pcap/messages/messages.pcap";
// curl -u lab:s3cret-pw: the password, and the header value curl made of it.
constexpr const char* kSecrets[] = {"s3cret-pw", "bGFiOnMzY3JldC1wdw=="};

std::vector<std::vector<std::string>> tshark_rows(const std::string& filter,
                                                  const std::string& fields) {
  const std::string command = std::string("tshark -r '") + kCapture + "' -Y '" + filter +
                              "' -T fields -E separator=/t " + fields + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while (pipe && (n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) text.append(buf.data(), n);
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> row;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '\t')) row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

class ReplayMessagesTsharkTest : public testing::Test {
 protected:
  void SetUp() override {
    PROCFLOW_REQUIRE_OR_SKIP(std::system("command -v tshark >/dev/null 2>&1") == 0,
                             "tshark is not installed");
    ndpi_ = NdpiEngine::create(nullptr);
    ASSERT_NE(ndpi_, nullptr);
    settings_.options.messages = MessagesMode::all;
    settings_.ndpi = ndpi_.get();
    ReplayOptions options;
    options.conversations = &settings_;
    ReplayFlows flows(options, [this](const FlowEvent& e, const ReplayFlowRecord&) {
      events_.push_back(e);
      append_json_line(e, lines_.emplace_back());
    });
    CaptureStats stats;
    std::string error;
    ASSERT_TRUE(replay_capture(kCapture, flows, &stats, &error)) << error;
    flows.finish();
  }

  // The events of the flow whose client used `port`, of one action (and direction).
  std::vector<FlowEvent> of(uint16_t port, FlowAction action,
                            std::optional<MessageDirection> direction = {}) const {
    std::vector<FlowEvent> out;
    for (const FlowEvent& e : events_)
      if (e.src_port == port && e.action == action &&
          (!direction || e.message_direction == direction))
        out.push_back(e);
    return out;
  }

  std::unique_ptr<NdpiEngine> ndpi_;
  ConversationSettings settings_;
  std::vector<FlowEvent> events_;
  std::vector<std::string> lines_;
};

TEST_F(ReplayMessagesTsharkTest, EveryHttpRequestAndResponseAsTsharkDecodesThem) {
  const auto requests = tshark_rows(
      "http.request", "-e tcp.srcport -e http.request.method -e http.request.uri -e http.host");
  const auto responses = tshark_rows("http.response", "-e tcp.dstport -e http.response.code");
  ASSERT_EQ(requests.size(), 2u);  // the capture's two requests on one connection
  ASSERT_EQ(responses.size(), 2u);
  std::map<uint16_t, size_t> seen;
  for (const auto& row : requests) {
    ASSERT_EQ(row.size(), 4u);
    const auto port = static_cast<uint16_t>(std::stoul(row[0]));
    const auto messages = of(port, FlowAction::message, MessageDirection::out);
    const size_t i = seen[port]++;
    ASSERT_LT(i, messages.size());
    const std::string expected =
        "method=" + row[1] + "; target=" + row[2] + "; version=HTTP/1.1; host=" + row[3];
    EXPECT_TRUE(messages[i].proto_info.starts_with(expected))
        << messages[i].proto_info << " vs " << expected;
    EXPECT_EQ(messages[i].application_protocol, "HTTP");
  }
  std::map<uint16_t, size_t> answered;
  for (const auto& row : responses) {
    ASSERT_EQ(row.size(), 2u);
    const auto port = static_cast<uint16_t>(std::stoul(row[0]));
    const auto messages = of(port, FlowAction::message, MessageDirection::in);
    const size_t i = answered[port]++;
    ASSERT_LT(i, messages.size());
    EXPECT_NE(messages[i].proto_info.find("status=" + row[1] + ";"), std::string::npos)
        << messages[i].proto_info;
  }
  for (const auto& [port, n] : seen) {
    EXPECT_EQ(of(port, FlowAction::message).size(), 2 * n);  // a request and its response each
    const auto ends = of(port, FlowAction::end);
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(ends[0].application_protocol, "HTTP");
  }
}

TEST_F(ReplayMessagesTsharkTest, TlsClientHelloAsTsharkDecodesIt) {
  const auto hellos = tshark_rows("tls.handshake.type == 1",
                                  "-e tcp.srcport -e tls.handshake.extensions_server_name "
                                  "-e tls.handshake.extensions_alpn_str");
  ASSERT_EQ(hellos.size(), 1u);
  ASSERT_EQ(hellos[0].size(), 3u);
  const auto port = static_cast<uint16_t>(std::stoul(hellos[0][0]));
  const auto out = of(port, FlowAction::message, MessageDirection::out);
  ASSERT_FALSE(out.empty());
  EXPECT_NE(out[0].proto_info.find("handshake=client_hello;"), std::string::npos);
  EXPECT_NE(out[0].proto_info.find("sni=" + hellos[0][1] + ";"), std::string::npos)
      << out[0].proto_info;
  EXPECT_NE(out[0].proto_info.find("alpn=" + hellos[0][2]), std::string::npos) << out[0].proto_info;
  const auto ends = of(port, FlowAction::end);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].application_protocol, "TLS");
  EXPECT_EQ(ends[0].dest_fqdn, hellos[0][1]);  // no DNS in the capture: the SNI names it
  EXPECT_EQ(ends[0].dest_fqdn_source, NameSource::tls_sni);
}

TEST_F(ReplayMessagesTsharkTest, NoCredentialInAnyEvent) {
  ASSERT_FALSE(lines_.empty());
  size_t redacted = 0;
  for (const std::string& line : lines_) {
    for (const char* secret : kSecrets) EXPECT_EQ(line.find(secret), std::string::npos) << line;
    if (line.find("Authorization: [redacted]") != std::string::npos) redacted++;
  }
  EXPECT_EQ(redacted, 2u);  // both requests carried the header
}

}  // namespace
}  // namespace procflow
