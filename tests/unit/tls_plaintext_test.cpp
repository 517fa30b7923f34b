// Tests tls_plaintext_of (src/collect/tls_plaintext.h): a consistent record
// becomes the domain type, an inconsistent one nothing; and the log escaping.
#include "collect/tls_plaintext.h"

#include <gtest/gtest.h>

#include <cstring>

namespace procflow {
namespace {

pf_tls_data record(const char* text, uint8_t direction) {
  pf_tls_data r{};
  r.hdr.kind = PF_REC_TLS_DATA;
  r.hdr.size = sizeof r;
  r.hdr.ktime_ns = 123456789;
  r.task.tgid = 42;
  r.task.tid = 43;
  std::memcpy(r.task.comm, "curl", 5);
  r.sock_id = 0xffff888012345678ull;
  r.copied = static_cast<uint16_t>(std::strlen(text));
  r.data_len = 1000;
  r.direction = direction;
  r.turn_start = 1;
  std::memcpy(r.data, text, r.copied);
  return r;
}

TEST(TlsPlaintextTest, ASentRecord) {
  const pf_tls_data r = record("GET / HTTP/1.1\r\n", PF_TLS_WRITE);
  auto tls = tls_plaintext_of(r);
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->ktime_ns, 123456789u);
  EXPECT_EQ(tls->sock_id, 0xffff888012345678ull);
  EXPECT_TRUE(tls->sent);
  EXPECT_TRUE(tls->turn_start);
  EXPECT_EQ(tls->data_len, 1000u);
  EXPECT_EQ(tls->task.tgid, 42u);
  EXPECT_STREQ(tls->task.comm, "curl");
  EXPECT_EQ(std::string(tls->bytes.begin(), tls->bytes.end()), "GET / HTTP/1.1\r\n");
}

TEST(TlsPlaintextTest, AReceivedRecordOfAFullBuffer) {
  pf_tls_data r = record("", PF_TLS_READ);
  std::memset(r.data, 'x', PF_TLS_MAX);
  r.copied = PF_TLS_MAX;
  r.data_len = PF_TLS_MAX;
  r.turn_start = 0;
  auto tls = tls_plaintext_of(r);
  ASSERT_TRUE(tls);
  EXPECT_FALSE(tls->sent);
  EXPECT_FALSE(tls->turn_start);
  EXPECT_EQ(tls->bytes.size(), size_t{PF_TLS_MAX});
}

TEST(TlsPlaintextTest, InconsistentLengthsAreRejected) {
  pf_tls_data r = record("abc", PF_TLS_WRITE);
  r.copied = PF_TLS_MAX + 1;
  r.data_len = 10000;
  EXPECT_FALSE(tls_plaintext_of(r));
  r = record("abc", PF_TLS_WRITE);
  r.copied = 0;
  EXPECT_FALSE(tls_plaintext_of(r));
  r = record("abc", PF_TLS_WRITE);
  r.data_len = 2;  // copied more than the call moved
  EXPECT_FALSE(tls_plaintext_of(r));
  r = record("abc", 2);  // no such direction
  EXPECT_FALSE(tls_plaintext_of(r));
}

}  // namespace
}  // namespace procflow
