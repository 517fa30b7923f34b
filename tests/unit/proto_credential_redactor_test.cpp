#include <gtest/gtest.h>

#include "proto/credential_redactor.h"
#include "proto_test_bytes.h"

namespace procflow {
namespace {

using test::bytes_of;

constexpr bool client = true, server = false;

std::string redact_one(std::string_view text, bool from_initiator = client) {
  CredentialRedactor redactor(true);
  return redactor.redact(bytes_of(text), from_initiator);
}

TEST(ProtoCredentialRedactor, HttpHeaders) {
  EXPECT_EQ(redact_one("GET / HTTP/1.1\r\nHost: a.test\r\nAuthorization: Basic c2VjcmV0\r\n"
                       "cookie:  sid=abc; x=1\r\nProxy-Authorization: Bearer tok\r\n\r\n"),
            "GET / HTTP/1.1\r\nHost: a.test\r\nAuthorization: [redacted]\r\n"
            "cookie:  [redacted]\r\nProxy-Authorization: [redacted]\r\n\r\n");
  EXPECT_EQ(redact_one("HTTP/1.1 200 OK\nSet-Cookie: sid=abc; HttpOnly\n\n", server),
            "HTTP/1.1 200 OK\nSet-Cookie: [redacted]\n\n");
  EXPECT_EQ(redact_one("X-Cookie-Note: fine\r\n"), "X-Cookie-Note: fine\r\n");
}

TEST(ProtoCredentialRedactor, UrlPasswords) {
  EXPECT_EQ(redact_one("GET http://bob:hunter2@proxy.test/x HTTP/1.1\r\n"),
            "GET http://bob:[redacted]@proxy.test/x HTTP/1.1\r\n");
  EXPECT_EQ(redact_one("see ftp://u:p@h and https://h:8443/p and s3://k:s@b/o\n"),
            "see ftp://u:[redacted]@h and https://h:8443/p and s3://k:[redacted]@b/o\n");
  EXPECT_EQ(redact_one("http://user@host/ no password\n"), "http://user@host/ no password\n");
}

TEST(ProtoCredentialRedactor, FtpPop3Imap) {
  EXPECT_EQ(redact_one("USER alice\r\nPASS hunter2\r\n"), "USER alice\r\nPASS [redacted]\r\n");
  EXPECT_EQ(redact_one("pass hunter2\r\n"), "pass [redacted]\r\n");
  EXPECT_EQ(redact_one("APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"),
            "APOP alice [redacted]\r\n");
  EXPECT_EQ(redact_one("a001 LOGIN alice hunter2\r\n"), "a001 LOGIN alice [redacted]\r\n");
  EXPECT_EQ(redact_one("a001 login \"al ice\" \"hunter 2\"\r\n"),
            "a001 login \"al ice\" [redacted]\r\n");
  EXPECT_EQ(redact_one("a1 AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=\r\n"),
            "a1 AUTHENTICATE PLAIN [redacted]\r\n");
}

TEST(ProtoCredentialRedactor, SmtpAuthLoginOverSeveralMessages) {
  CredentialRedactor redactor(true);
  EXPECT_EQ(redactor.redact(bytes_of("AUTH LOGIN\r\n"), client), "AUTH LOGIN\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("334 VXNlcm5hbWU6\r\n"), server), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("YWxpY2U=\r\n"), client), "[redacted]\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("334 UGFzc3dvcmQ6\r\n"), server), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("aHVudGVyMg==\r\n"), client), "[redacted]\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("235 2.7.0 ok\r\n"), server), "235 2.7.0 ok\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("MAIL FROM:<a@b.test>\r\n"), client),
            "MAIL FROM:<a@b.test>\r\n");
  EXPECT_EQ(redactor.redactions(), 2u);
}

TEST(ProtoCredentialRedactor, Pop3AuthContinuationsAndFailure) {
  CredentialRedactor redactor(true);
  EXPECT_EQ(redactor.redact(bytes_of("AUTH PLAIN\r\n"), client), "AUTH PLAIN\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("+ \r\n"), server), "+ \r\n");
  EXPECT_EQ(redactor.redact(bytes_of("AGFsaWNlAGh1bnRlcjI=\r\n"), client), "[redacted]\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("-ERR no\r\n"), server), "-ERR no\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("QUIT\r\n"), client), "QUIT\r\n");
}

TEST(ProtoCredentialRedactor, ImapLiteralPassword) {
  CredentialRedactor redactor(true);
  EXPECT_EQ(redactor.redact(bytes_of("a1 LOGIN alice {7}\r\n"), client),
            "a1 LOGIN alice [redacted]\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("+ go ahead\r\n"), server), "+ go ahead\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("hunter2\r\n"), client), "[redacted]\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("a1 OK done\r\n"), server), "a1 OK done\r\n");
  EXPECT_EQ(redactor.redact(bytes_of("a2 SELECT INBOX\r\n"), client), "a2 SELECT INBOX\r\n");
}

// Every way of cutting a credential line in two: no part of the secret may
// appear in either message's output.
TEST(ProtoCredentialRedactor, SecretSplitAnywhereNeverLeaks) {
  const std::string_view lines[] = {
      "PASS hunter2xyz\r\n",
      "a1 LOGIN alice hunter2xyz\r\n",
      "Authorization: Basic hunter2xyz\r\n",
      "Cookie: hunter2xyz\r\n",
      "GET http://bob:hunter2xyz@h.test/ HTTP/1.1\r\n",
      "AUTH PLAIN hunter2xyz\r\n",
      "APOP alice hunter2xyz\r\n",
  };
  for (std::string_view line : lines) {
    for (size_t cut = 0; cut <= line.size(); ++cut) {
      CredentialRedactor redactor(true);
      std::string first = redactor.redact(bytes_of(line.substr(0, cut)), client);
      std::string second = redactor.redact(bytes_of(line.substr(cut)), client);
      // Any 3 consecutive characters of the secret would be a leak.
      std::string_view secret = "hunter2xyz";
      for (size_t i = 0; i + 3 <= secret.size(); ++i) {
        std::string piece(secret.substr(i, 3));
        EXPECT_EQ(first.find(piece), std::string::npos) << line << " cut " << cut << ": " << first;
        EXPECT_EQ(second.find(piece), std::string::npos)
            << line << " cut " << cut << ": " << second;
      }
    }
  }
}

TEST(ProtoCredentialRedactor, SplitLineKeepsTheRest) {
  CredentialRedactor redactor(true);
  EXPECT_EQ(redactor.redact(bytes_of("USER alice\r\nPA"), client), "USER alice\r\nPA");
  EXPECT_EQ(redactor.redact(bytes_of("SS hunter2\r\nQUIT\r\n"), client),
            "SS [redacted]\r\nQUIT\r\n");
}

TEST(ProtoCredentialRedactor, DisabledChangesNothing) {
  CredentialRedactor redactor(false);
  std::string_view text = "PASS hunter2\r\nCookie: a=b\r\n";
  EXPECT_EQ(redactor.redact(bytes_of(text), client), text);
  EXPECT_EQ(redactor.redactions(), 0u);
}

}  // namespace
}  // namespace procflow
