// Both directions of a conversation, and both local sockets of it, meet under
// one key; dual-stack mapped addresses meet their IPv4 form.
#include "flow/conversation_index.h"

#include <gtest/gtest.h>

#include "flow/unmatched_chunks.h"

namespace procflow {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(ConversationIndexTest, BothDirectionsHaveOneKey) {
  const auto a = conversation_key(ip("10.0.0.2"), 40000, ip("10.0.0.1"), 80, ip_proto_tcp);
  const auto b = conversation_key(ip("10.0.0.1"), 80, ip("10.0.0.2"), 40000, ip_proto_tcp);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.port_lo, 80) << "the lower endpoint first: 10.0.0.1:80";
  EXPECT_EQ(a.port_hi, 40000);
}

TEST(ConversationIndexTest, MappedAddressesMeetTheirIpv4Form) {
  const auto mapped =
      conversation_key(ip("::ffff:10.0.0.2"), 40000, ip("::ffff:10.0.0.1"), 80, ip_proto_tcp);
  const auto plain = conversation_key(ip("10.0.0.1"), 80, ip("10.0.0.2"), 40000, ip_proto_tcp);
  EXPECT_EQ(mapped, plain);
}

TEST(ConversationIndexTest, TransportAndPortsSeparateConversations) {
  const auto tcp = conversation_key(ip("10.0.0.2"), 5000, ip("10.0.0.1"), 53, ip_proto_tcp);
  const auto udp = conversation_key(ip("10.0.0.2"), 5000, ip("10.0.0.1"), 53, ip_proto_udp);
  const auto other = conversation_key(ip("10.0.0.2"), 5001, ip("10.0.0.1"), 53, ip_proto_tcp);
  EXPECT_FALSE(tcp == udp);
  EXPECT_FALSE(tcp == other);
}

TEST(ConversationIndexTest, HoldsEveryLocalSocketOfAConversation) {
  ConversationIndex<uint64_t> index;
  const auto key = conversation_key(ip("127.0.0.1"), 40000, ip("127.0.0.1"), 80, ip_proto_tcp);
  index.add(key, 1);
  index.add(key, 2);
  ASSERT_NE(index.find(key), nullptr);
  EXPECT_EQ(*index.find(key), (std::vector<uint64_t>{1, 2}));
  index.remove(key, 1);
  EXPECT_EQ(*index.find(key), (std::vector<uint64_t>{2}));
  index.remove(key, 2);
  EXPECT_EQ(index.find(key), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

TEST(UnmatchedChunksTest, AChunkWaitsForItsFlowsThenIsHandedToEachOnce) {
  UnmatchedChunks kept;
  const auto key = conversation_key(ip("10.0.0.2"), 40000, ip("10.0.0.1"), 80, ip_proto_tcp);
  const auto other = conversation_key(ip("10.0.0.3"), 40000, ip("10.0.0.1"), 80, ip_proto_tcp);
  std::string bytes = "GET / HTTP/1.1\r\n";
  PayloadChunk c;
  c.ktime_ns = 5;
  c.bytes = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  kept.keep(key, c, other);
  bytes = "overwritten";  // the kept chunk has its own copy
  std::string seen;
  kept.take(other, [&](const PayloadChunk& k) { seen.assign(k.bytes.begin(), k.bytes.end()); });
  EXPECT_EQ(seen, "GET / HTTP/1.1\r\n");
  // The other view (the datagram's receiver) still gets it, once.
  int again = 0;
  kept.take(key, [&](const PayloadChunk&) { again++; });
  EXPECT_EQ(again, 1);
  kept.take(key, [&](const PayloadChunk&) { again++; });
  kept.take(other, [&](const PayloadChunk&) { again++; });
  EXPECT_EQ(again, 1);
  EXPECT_EQ(kept.dropped(), 0u);
}

TEST(UnmatchedChunksTest, UnclaimedChunksExpireAndAreCounted) {
  UnmatchedChunks kept;
  const auto key = conversation_key(ip("10.0.0.2"), 40000, ip("10.0.0.1"), 80, ip_proto_tcp);
  PayloadChunk c;
  c.ktime_ns = 1'000;
  kept.keep(key, c);
  kept.expire(1'000 + UnmatchedChunks::kWaitNs);
  EXPECT_EQ(kept.size(), 1u);
  kept.expire(1'001 + UnmatchedChunks::kWaitNs);
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(kept.dropped(), 1u);
  for (size_t i = 0; i < UnmatchedChunks::kMaxChunks + 3; i++) kept.keep(key, c);
  EXPECT_EQ(kept.size(), UnmatchedChunks::kMaxChunks);
  EXPECT_EQ(kept.dropped(), 4u);
}

}  // namespace
}  // namespace procflow
