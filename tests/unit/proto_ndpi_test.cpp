// nDPI 4.2 on synthesized flows: payloads as captured, no TCP handshake,
// both directions. Exact names, and the server name nDPI read.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dns_wire_builder.h"
#include "proto/ndpi_engine.h"
#include "proto/ndpi_flow.h"
#include "proto_quic_packet.h"
#include "proto_test_bytes.h"
#include "proto_tls_peer.h"

namespace procflow {
namespace {

struct Message {
  bool from_client;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> text(std::string_view s) {
  return {s.begin(), s.end()};
}

class ProtoNdpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    engine_ = NdpiEngine::create(&error).release();
    ASSERT_NE(engine_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  // Feeds the messages of one flow client:40000 <-> server:port and gives up
  // at the end if nDPI has not settled.
  std::unique_ptr<NdpiFlow> run(const std::vector<Message>& messages, uint8_t transport,
                                uint16_t port, bool ipv6 = false) {
    auto flow = std::make_unique<NdpiFlow>(*engine_);
    IpAddress client = *IpAddress::parse(ipv6 ? "2001:db8::1" : "10.0.0.1");
    IpAddress server = *IpAddress::parse(ipv6 ? "2001:db8::2" : "10.0.0.2");
    uint64_t time_ms = 1'700'000'000'000;
    for (const Message& m : messages) {
      PacketView packet{m.from_client ? client : server,
                        m.from_client ? server : client,
                        static_cast<uint16_t>(m.from_client ? 40000 : port),
                        static_cast<uint16_t>(m.from_client ? port : 40000),
                        transport,
                        m.bytes,
                        time_ms++};
      flow->feed(packet);
    }
    if (!flow->settled()) flow->give_up();
    return flow;
  }

  static NdpiEngine* engine_;
};

NdpiEngine* ProtoNdpi::engine_ = nullptr;

TEST_F(ProtoNdpi, Http) {
  auto flow = run({{true, text("GET /x HTTP/1.1\r\nHost: a.test\r\nUser-Agent: curl/7.88.1\r\n"
                               "Accept: */*\r\n\r\n")},
                   {false, text("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 2\r\n\r\nhi")}},
                  ip_proto_tcp, 8080);
  EXPECT_EQ(flow->protocol(), "HTTP");
  EXPECT_EQ(flow->server_name(), "a.test");
  EXPECT_TRUE(flow->settled());
}

TEST_F(ProtoNdpi, TlsFromOpenSsl) {
  auto exchange = test::tls_exchange({.sni = "a.test", .alpn = {"h2", "http/1.1"}});
  auto flow =
      run({{true, exchange.client_hello}, {false, exchange.server_hello}}, ip_proto_tcp, 8443);
  EXPECT_EQ(flow->protocol(), "TLS");
  EXPECT_EQ(flow->server_name(), "a.test");
}

TEST_F(ProtoNdpi, TlsOverIpv6) {
  auto exchange = test::tls_exchange({.sni = "v6.a.test"});
  auto flow =
      run({{true, exchange.client_hello}, {false, exchange.server_hello}}, ip_proto_tcp, 443, true);
  EXPECT_EQ(flow->protocol(), "TLS");
  EXPECT_EQ(flow->server_name(), "v6.a.test");
}

TEST_F(ProtoNdpi, QuicInitial) {
  auto exchange = test::tls_exchange({.sni = "quic.a.test", .alpn = {"h3"}});
  std::vector<uint8_t> frames;
  test::crypto_frame(frames, 0, std::span(exchange.client_hello).subspan(5));
  frames.resize(1162, 0x00);
  auto flow =
      run({{true, test::protect_initial({1, 2, 3, 4, 5, 6, 7, 8}, frames)}}, ip_proto_udp, 443);
  EXPECT_EQ(flow->protocol(), "QUIC");
  EXPECT_EQ(flow->server_name(), "quic.a.test");
}

TEST_F(ProtoNdpi, Dns) {
  test::MessageSpec query;
  query.question = "a.test. IN A";
  query.response = false;
  test::MessageSpec response;
  response.question = "a.test. IN A";
  response.answers = {"a.test. 60 IN A 10.0.0.9"};
  auto flow =
      run({{true, test::build_dns(query)}, {false, test::build_dns(response)}}, ip_proto_udp, 53);
  EXPECT_EQ(flow->protocol(), "DNS");
  EXPECT_EQ(flow->server_name(), "a.test");
}

TEST_F(ProtoNdpi, SshBannersBothWays) {
  auto flow = run({{false, text("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")},
                   {true, text("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")}},
                  ip_proto_tcp, 2222);
  EXPECT_EQ(flow->protocol(), "SSH");
  EXPECT_EQ(flow->server_name(), "");
}

TEST_F(ProtoNdpi, SmtpGreetingAndEhlo) {
  auto flow = run({{false, text("220 mx.test ESMTP Postfix\r\n")},
                   {true, text("EHLO c.test\r\n")},
                   {false, text("250-mx.test\r\n250 8BITMIME\r\n")}},
                  ip_proto_tcp, 2525);
  EXPECT_EQ(flow->protocol(), "SMTP");
}

TEST_F(ProtoNdpi, UnknownStaysEmptyAndPortGuessIsSeparate) {
  auto flow = run({{true, text("\x01\x02\x03 nothing known")}}, ip_proto_tcp, 80);
  EXPECT_EQ(flow->protocol(), "");
  EXPECT_EQ(flow->port_guess(), "HTTP");
  EXPECT_TRUE(flow->settled());
}

TEST_F(ProtoNdpi, IgnoresWhatItCannotWrap) {
  NdpiFlow flow(*engine_);
  std::vector<uint8_t> payload = text("GET / HTTP/1.1\r\n\r\n");
  flow.feed({*IpAddress::parse("10.0.0.1"), *IpAddress::parse("2001:db8::2"), 1, 80, ip_proto_tcp,
             payload, 1});
  flow.feed({*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"), 1, 80, 1, payload, 1});
  flow.feed(
      {*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"), 1, 80, ip_proto_tcp, {}, 1});
  EXPECT_EQ(flow.protocol(), "");
}

}  // namespace
}  // namespace procflow
