// The text and DNS decoders behind proto_info, on real protocol bytes.
#include <gtest/gtest.h>

#include "dns_wire_builder.h"
#include "proto/dns_summary.h"
#include "proto/http_head.h"
#include "proto/mail_commands.h"
#include "proto/server_name.h"
#include "proto/ssh_banner.h"

namespace procflow {
namespace {

TEST(ProtoHttpHead, Request) {
  auto head = parse_http_request_head(
      "GET /x?q=1 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(http_request_proto_info(*head),
            "method=GET; target=/x?q=1; version=HTTP/1.1; host=a.test; user_agent=curl/7.88.1");
}

TEST(ProtoHttpHead, RequestCutAfterTheFirstLineAndOddHeaders) {
  auto head = parse_http_request_head("POST /form HTTP/1.0\nhost:b.test \nUser-Ag");
  ASSERT_TRUE(head);
  EXPECT_EQ(http_request_proto_info(*head),
            "method=POST; target=/form; version=HTTP/1.0; host=b.test");
}

TEST(ProtoHttpHead, NotARequest) {
  EXPECT_FALSE(parse_http_request_head("GET /x HTTP/2\r\n"));
  EXPECT_FALSE(parse_http_request_head("get /x HTTP/1.1\r\n"));
  EXPECT_FALSE(parse_http_request_head("GET  /x HTTP/1.1\r\n"));
  EXPECT_FALSE(parse_http_request_head("GET /x"));
  EXPECT_FALSE(parse_http_request_head("SSH-2.0-OpenSSH_9.2p1\r\n"));
}

TEST(ProtoHttpHead, Response) {
  auto head = parse_http_response_head("HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(http_response_proto_info(*head), "version=HTTP/1.1; status=200; reason=OK");
  auto no_reason = parse_http_response_head("HTTP/1.1 204\r\n\r\n");
  ASSERT_TRUE(no_reason);
  EXPECT_EQ(http_response_proto_info(*no_reason), "version=HTTP/1.1; status=204");
  EXPECT_FALSE(parse_http_response_head("HTTP/1.1 2000 OK\r\n"));
}

TEST(ProtoSshBanner, BannerAfterOtherLines) {
  EXPECT_EQ(parse_ssh_banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
            "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
  EXPECT_EQ(parse_ssh_banner("welcome\r\nSSH-1.99-Cisco-1.25\r\n"), "SSH-1.99-Cisco-1.25");
  EXPECT_FALSE(parse_ssh_banner("SSH-x-y\r\n"));
  EXPECT_FALSE(parse_ssh_banner("GET / HTTP/1.1\r\n"));
  EXPECT_EQ(ssh_proto_info("SSH-2.0-OpenSSH_9.2p1"), "banner=SSH-2.0-OpenSSH_9.2p1");
}

TEST(ProtoMailCommands, SmtpBothSides) {
  EXPECT_EQ(mail_commands_proto_info("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                                     "DATA\r\nSubject: quit now\r\n\r\nMAIL body\r\n.\r\nQUIT\r\n",
                                     true, true),
            "commands=EHLO,MAIL,RCPT,DATA,QUIT");
  EXPECT_EQ(
      mail_commands_proto_info("250-mx.test Hello\r\n250-SIZE 1000\r\n250 AUTH LOGIN PLAIN\r\n"
                               "354 go\r\n",
                               false, true),
      "replies=250,354");
  EXPECT_EQ(guess_mail_protocol("220 mx.test ESMTP Postfix\r\n", false), "SMTP");
  EXPECT_EQ(guess_mail_protocol("EHLO c.test\r\n", true), "SMTP");
}

TEST(ProtoMailCommands, FtpPop3Imap) {
  EXPECT_EQ(mail_commands_proto_info("USER alice\r\nPASS [redacted]\r\nSYST\r\n", true, true),
            "commands=USER,PASS,SYST");
  EXPECT_EQ(guess_mail_protocol("220 (vsFTPd 3.0.3)\r\n", false), "FTP");
  EXPECT_EQ(mail_commands_proto_info("+OK ready\r\n", false, true), "replies=+OK");
  EXPECT_EQ(guess_mail_protocol("+OK POP3 ready\r\n", false), "POP3");
  EXPECT_EQ(
      mail_commands_proto_info("a001 LOGIN alice [redacted]\r\na002 select INBOX\r\n", true, true),
      "commands=LOGIN,SELECT");
  EXPECT_EQ(mail_commands_proto_info(
                "* 3 EXISTS\r\n* OK [UIDVALIDITY 1]\r\na002 OK done\r\n+ go\r\n", false, true),
            "replies=*EXISTS,*OK,OK,+");
  EXPECT_EQ(guess_mail_protocol("* OK IMAP4rev1 ready\r\n", false), "IMAP");
  EXPECT_EQ(guess_mail_protocol("a1 CAPABILITY\r\n", true), "IMAP");
}

TEST(ProtoMailCommands, NotMail) {
  EXPECT_FALSE(mail_commands_proto_info("hello world\r\nQUIT\r\n", true, true));
  EXPECT_EQ(mail_commands_proto_info("hello world\r\nQUIT\r\n", true, false), "commands=QUIT");
  EXPECT_FALSE(mail_commands_proto_info("", true, false));
}

TEST(ProtoDnsSummary, QueryAndResponseBothForms) {
  test::MessageSpec query;
  query.question = "www.example.com. IN A";
  query.response = false;
  query.id = 4660;
  auto udp_query = test::build_dns(query);
  EXPECT_EQ(dns_summary(udp_query), "id=4660; opcode=QUERY; qname=www.example.com; qtype=A");

  test::MessageSpec response;
  response.question = "www.example.com. IN A";
  response.id = 4660;
  response.answers = {"www.example.com. 60 IN CNAME b.example.net.",
                      "b.example.net. 60 IN A 10.0.0.1", "b.example.net. 60 IN AAAA 2001:db8::1"};
  auto udp_response = test::build_dns(response);
  const std::string expected =
      "id=4660; opcode=QUERY; qname=www.example.com; qtype=A; rcode=NOERROR; "
      "answers=CNAME b.example.net,A 10.0.0.1,AAAA 2001:db8::1";
  EXPECT_EQ(dns_summary(udp_response), expected);

  std::vector<uint8_t> tcp = {static_cast<uint8_t>(udp_response.size() >> 8),
                              static_cast<uint8_t>(udp_response.size() & 0xff)};
  tcp.insert(tcp.end(), udp_response.begin(), udp_response.end());
  EXPECT_EQ(dns_summary(tcp), expected);

  test::MessageSpec nxdomain;
  nxdomain.question = "nope.test. IN AAAA";
  nxdomain.rcode = 3;
  nxdomain.id = 7;
  EXPECT_EQ(dns_summary(test::build_dns(nxdomain)),
            "id=7; opcode=QUERY; qname=nope.test; qtype=AAAA; rcode=NXDOMAIN");
  const uint8_t junk[] = {1, 2, 3};
  EXPECT_FALSE(dns_summary(junk));
}

TEST(ProtoServerName, Normalization) {
  EXPECT_EQ(normalize_server_name("A.Test.", false), "a.test");
  EXPECT_EQ(normalize_server_name("a.test:8080", true), "a.test");
  EXPECT_FALSE(normalize_server_name("10.0.0.1", false));
  EXPECT_FALSE(normalize_server_name("10.0.0.1:80", true));
  EXPECT_FALSE(normalize_server_name("[2001:db8::1]:443", true));
  EXPECT_FALSE(normalize_server_name("2001:db8::1", false));
  EXPECT_FALSE(normalize_server_name("a..test", false));
  EXPECT_FALSE(normalize_server_name("a test", false));
  EXPECT_FALSE(normalize_server_name("", false));
  EXPECT_FALSE(normalize_server_name("a.test:x", true));
  EXPECT_EQ(normalize_server_name("localhost", false), "localhost");
}

}  // namespace
}  // namespace procflow
