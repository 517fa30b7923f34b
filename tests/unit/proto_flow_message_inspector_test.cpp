// The inspector end to end: one object per flow, messages in turn, exact
// content and proto_info, and no credential in any output unless redaction is off.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/flow_message_inspector.h"
#include "proto_quic_packet.h"
#include "proto_test_bytes.h"
#include "proto_tls_peer.h"

namespace procflow {
namespace {

using test::bytes_of;

// Every secret any test here sends.
const std::vector<std::string> secrets = {
    "hunter2", "aHVudGVyMg==", "YWxpY2U=", "c2VjcmV0", "sid=s3cr3t", "AGFsaWNlAGh1bnRlcjI="};

struct Turn {
  bool from_client;
  std::string text;
};

// Runs a flow's turns (the local socket is the client) and returns the facts.
std::vector<MessageFacts> run(const std::vector<Turn>& turns, std::string_view app_protocol,
                              bool redact = true) {
  FlowMessageInspector inspector(InspectorOptions{.redact = redact});
  std::vector<MessageFacts> out;
  for (const Turn& turn : turns) {
    MessageView view{turn.from_client ? MessageDirection::out : MessageDirection::in,
                     turn.from_client, bytes_of(turn.text)};
    out.push_back(inspector.inspect(view, app_protocol));
  }
  return out;
}

void expect_no_secret(const std::vector<MessageFacts>& facts) {
  for (const MessageFacts& f : facts)
    for (const std::string& secret : secrets) {
      EXPECT_EQ(f.content.find(secret), std::string::npos) << f.content;
      EXPECT_EQ(f.proto_info.find(secret), std::string::npos) << f.proto_info;
    }
}

TEST(ProtoFlowMessageInspector, HttpRequestAndResponse) {
  auto facts = run({{true,
                     "GET http://bob:hunter2@a.test/x HTTP/1.1\r\nHost: A.Test:8080\r\n"
                     "User-Agent: curl/7.88.1\r\nCookie: sid=s3cr3t\r\n\r\n"},
                    {false, "HTTP/1.1 200 OK\r\nSet-Cookie: sid=s3cr3t\r\n\r\nbody"}},
                   "HTTP");
  EXPECT_EQ(facts[0].proto_info,
            "method=GET; target=http://bob:[redacted]@a.test/x; version=HTTP/1.1; "
            "host=A.Test:8080; user_agent=curl/7.88.1");
  EXPECT_EQ(facts[0].content,
            "GET http://bob:[redacted]@a.test/x HTTP/1.1\\r\\nHost: A.Test:8080\\r\\n"
            "User-Agent: curl/7.88.1\\r\\nCookie: [redacted]\\r\\n\\r\\n");
  EXPECT_EQ(facts[0].server_name, "a.test");
  EXPECT_EQ(facts[0].server_name_source, ServerNameSource::http_host);
  EXPECT_EQ(facts[0].guessed_protocol, "");
  EXPECT_EQ(facts[1].proto_info, "version=HTTP/1.1; status=200; reason=OK");
  EXPECT_EQ(facts[1].content, "HTTP/1.1 200 OK\\r\\nSet-Cookie: [redacted]\\r\\n\\r\\nbody");
  EXPECT_EQ(facts[1].server_name, "");
  expect_no_secret(facts);
}

TEST(ProtoFlowMessageInspector, GuessesByContentWhenNdpiHasNoName) {
  auto facts = run({{true, "GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"}}, "");
  EXPECT_EQ(facts[0].guessed_protocol, "HTTP");
  EXPECT_EQ(facts[0].proto_info, "method=GET; target=/; version=HTTP/1.1; host=10.0.0.1");
  EXPECT_EQ(facts[0].server_name, "");  // an IP literal names nothing
  auto ssh = run({{false, "SSH-2.0-OpenSSH_9.2p1\r\n"}}, "");
  EXPECT_EQ(ssh[0].guessed_protocol, "SSH");
  EXPECT_EQ(ssh[0].proto_info, "banner=SSH-2.0-OpenSSH_9.2p1");
  auto smtp = run({{false, "220 mx.test ESMTP\r\n"}}, "");
  EXPECT_EQ(smtp[0].guessed_protocol, "SMTP");
  EXPECT_EQ(smtp[0].proto_info, "replies=220");
  auto nothing = run({{true, "hello\r\n"}}, "");
  EXPECT_EQ(nothing[0].guessed_protocol, "");
  EXPECT_EQ(nothing[0].proto_info, "");
  EXPECT_EQ(nothing[0].content, "hello\\r\\n");
}

TEST(ProtoFlowMessageInspector, TlsFromOpenSsl) {
  auto exchange = test::tls_exchange({.sni = "WWW.A.Test", .alpn = {"h2", "http/1.1"}});
  FlowMessageInspector inspector(InspectorOptions{});
  auto client = inspector.inspect({MessageDirection::out, true, exchange.client_hello}, "TLS");
  EXPECT_TRUE(client.proto_info.starts_with(
      "handshake=client_hello; version=TLS1.3; sni=WWW.A.Test; alpn=h2,http/1.1; ja4=t13d"))
      << client.proto_info;
  EXPECT_EQ(client.server_name, "www.a.test");
  EXPECT_EQ(client.server_name_source, ServerNameSource::tls_sni);
  auto server = inspector.inspect({MessageDirection::in, false, exchange.server_hello}, "");
  EXPECT_EQ(server.proto_info, "handshake=server_hello; version=TLS1.3; cipher=0x1301");
  EXPECT_EQ(server.guessed_protocol, "TLS");
  EXPECT_EQ(server.server_name, "");
}

TEST(ProtoFlowMessageInspector, QuicInitialNamesTheServer) {
  auto exchange = test::tls_exchange({.sni = "Quic.A.Test", .alpn = {"h3"}});
  std::vector<uint8_t> frames;
  test::crypto_frame(frames, 0, std::span(exchange.client_hello).subspan(5));
  frames.resize(1162, 0x00);
  auto datagram = test::protect_initial({1, 2, 3, 4, 5, 6, 7, 8}, frames);
  for (std::string_view app_protocol : {"QUIC", ""}) {
    FlowMessageInspector inspector(InspectorOptions{});
    auto facts = inspector.inspect({MessageDirection::out, true, datagram}, app_protocol);
    EXPECT_TRUE(facts.proto_info.starts_with(
        "handshake=client_hello; version=TLS1.3; sni=Quic.A.Test; alpn=h3; ja4=q13d"))
        << facts.proto_info;
    EXPECT_EQ(facts.server_name, "quic.a.test");
    EXPECT_EQ(facts.server_name_source, ServerNameSource::quic_sni);
    EXPECT_EQ(facts.guessed_protocol, app_protocol.empty() ? "QUIC" : "");
  }
}

const std::vector<Turn> smtp_auth_login = {
    {false, "220 mx.test ESMTP Postfix\r\n"},
    {true, "EHLO c.test\r\n"},
    {false, "250-mx.test\r\n250 AUTH LOGIN PLAIN\r\n"},
    {true, "AUTH LOGIN\r\n"},
    {false, "334 VXNlcm5hbWU6\r\n"},
    {true, "YWxpY2U=\r\n"},
    {false, "334 UGFzc3dvcmQ6\r\n"},
    {true, "aHVudGVyMg==\r\n"},
    {false, "235 2.7.0 Authentication successful\r\n"},
    {true, "MAIL FROM:<alice@c.test>\r\nRCPT TO:<bob@mx.test>\r\nDATA\r\n"},
    {false, "250 ok\r\n250 ok\r\n354 go\r\n"},
};

TEST(ProtoFlowMessageInspector, SmtpAuthLoginAcrossMessages) {
  auto facts = run(smtp_auth_login, "SMTP");
  std::vector<std::string> info, content;
  for (const auto& f : facts) info.push_back(f.proto_info), content.push_back(f.content);
  EXPECT_EQ(info, (std::vector<std::string>{"replies=220", "commands=EHLO", "replies=250",
                                            "commands=AUTH", "replies=334", "", "replies=334", "",
                                            "replies=235", "commands=MAIL,RCPT,DATA",
                                            "replies=250,250,354"}));
  EXPECT_EQ(content[5], "[redacted]\\r\\n");
  EXPECT_EQ(content[7], "[redacted]\\r\\n");
  expect_no_secret(facts);

  auto open = run(smtp_auth_login, "SMTP", false);
  EXPECT_EQ(open[5].content, "YWxpY2U=\\r\\n");
  EXPECT_EQ(open[7].content, "aHVudGVyMg==\\r\\n");
}

TEST(ProtoFlowMessageInspector, SmtpAuthPlainInline) {
  auto facts = run({{true, "AUTH PLAIN AGFsaWNlAGh1bnRlcjI=\r\n"}, {false, "235 ok\r\n"}}, "SMTP");
  EXPECT_EQ(facts[0].content, "AUTH PLAIN [redacted]\\r\\n");
  EXPECT_EQ(facts[0].proto_info, "commands=AUTH");
  expect_no_secret(facts);
}

TEST(ProtoFlowMessageInspector, FtpUserPass) {
  const std::vector<Turn> turns = {{false, "220 (vsFTPd 3.0.3)\r\n"},
                                   {true, "USER alice\r\n"},
                                   {false, "331 Please specify the password.\r\n"},
                                   {true, "PASS hunter2\r\n"},
                                   {false, "230 Login successful.\r\n"}};
  auto facts = run(turns, "FTP_CONTROL");
  EXPECT_EQ(facts[3].content, "PASS [redacted]\\r\\n");
  EXPECT_EQ(facts[3].proto_info, "commands=PASS");
  EXPECT_EQ(facts[4].proto_info, "replies=230");
  expect_no_secret(facts);
  auto guessed = run(turns, "");
  EXPECT_EQ(guessed[0].guessed_protocol, "FTP");
  EXPECT_EQ(run(turns, "FTP_CONTROL", false)[3].content, "PASS hunter2\\r\\n");
}

TEST(ProtoFlowMessageInspector, Pop3) {
  auto facts = run({{false, "+OK POP3 ready\r\n"},
                    {true, "USER alice\r\nPASS hunter2\r\n"},
                    {false, "+OK\r\n+OK logged in\r\n"},
                    {true, "STAT\r\nQUIT\r\n"}},
                   "POP3");
  EXPECT_EQ(facts[1].proto_info, "commands=USER,PASS");
  EXPECT_EQ(facts[1].content, "USER alice\\r\\nPASS [redacted]\\r\\n");
  EXPECT_EQ(facts[2].proto_info, "replies=+OK,+OK");
  EXPECT_EQ(facts[3].proto_info, "commands=STAT,QUIT");
  expect_no_secret(facts);
}

TEST(ProtoFlowMessageInspector, ImapLogin) {
  const std::vector<Turn> turns = {{false, "* OK IMAP4rev1 ready\r\n"},
                                   {true, "a001 LOGIN alice hunter2\r\n"},
                                   {false, "a001 OK LOGIN completed\r\n"}};
  auto facts = run(turns, "IMAP");
  EXPECT_EQ(facts[0].proto_info, "replies=*OK");
  EXPECT_EQ(facts[1].proto_info, "commands=LOGIN");
  EXPECT_EQ(facts[1].content, "a001 LOGIN alice [redacted]\\r\\n");
  EXPECT_EQ(facts[2].proto_info, "replies=OK");
  expect_no_secret(facts);
  EXPECT_EQ(run(turns, "IMAP", false)[1].content, "a001 LOGIN alice hunter2\\r\\n");
  EXPECT_EQ(run(turns, "")[0].guessed_protocol, "IMAP");
}

TEST(ProtoFlowMessageInspector, SshBothWays) {
  auto facts = run(
      {{true, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"}, {false, "SSH-2.0-OpenSSH_8.4\r\n"}}, "SSH");
  EXPECT_EQ(facts[0].proto_info, "banner=SSH-2.0-OpenSSH_9.2p1 Debian-2");
  EXPECT_EQ(facts[1].proto_info, "banner=SSH-2.0-OpenSSH_8.4");
}

TEST(ProtoFlowMessageInspector, SubProtocolNamesUseTheirMaster) {
  auto facts = run({{true, "GET / HTTP/1.1\r\nHost: g.test\r\n\r\n"}}, "HTTP.Google");
  EXPECT_EQ(facts[0].proto_info, "method=GET; target=/; version=HTTP/1.1; host=g.test");
}

}  // namespace
}  // namespace procflow
