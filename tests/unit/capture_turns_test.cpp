// Tests the replay's stand-in for the kernel's turn tracking: turns change when the other side
// speaks, DNS messages are turns of their own, TCP stream offsets come from the SYN, and
// retransmitted bytes (whole or in part) are not handed over twice.
#include "replay/capture_turns.h"

#include <gtest/gtest.h>

#include <string_view>

#include "ip_literal.h"

namespace procflow {
namespace {

using test::ip;

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ParsedPacket packet(bool from_client, uint8_t proto, uint16_t server_port, uint8_t flags,
                    uint32_t seq, std::string_view payload, uint32_t wire_bytes = 0) {
  ParsedPacket p;
  p.src_ip = ip(from_client ? "10.0.0.1" : "10.0.0.2");
  p.dest_ip = ip(from_client ? "10.0.0.2" : "10.0.0.1");
  p.src_port = from_client ? 40000 : server_port;
  p.dest_port = from_client ? server_port : 40000;
  p.ip_proto = proto;
  p.tcp_flags = flags;
  p.tcp_seq = seq;
  p.payload = bytes_of(payload);
  p.payload_bytes = wire_bytes ? wire_bytes : static_cast<uint32_t>(payload.size());
  return p;
}

std::string_view text_of(const PayloadChunk& c) {
  return {reinterpret_cast<const char*>(c.bytes.data()), c.bytes.size()};
}

constexpr uint8_t kSyn = tcp_flag::syn, kAck = tcp_flag::ack;
constexpr uint32_t kBudget = 512;

TEST(CaptureTurnsTest, TurnsChangeWhenTheOtherSideSpeaks) {
  CaptureTurns turns;
  EXPECT_FALSE(turns.chunk_of(packet(true, ip_proto_tcp, 80, kSyn, 1000, ""), true, 1, kBudget));
  EXPECT_FALSE(
      turns.chunk_of(packet(false, ip_proto_tcp, 80, kSyn | kAck, 5000, ""), false, 2, kBudget));

  auto a = turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 1001, "GET / "), true, 3, kBudget);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->turn, 0);
  EXPECT_TRUE(a->turn_start);
  EXPECT_EQ(a->stream_offset, 0u);
  EXPECT_EQ(a->ktime_ns, 3u);
  EXPECT_EQ(text_of(*a), "GET / ");
  EXPECT_EQ(a->sport, 40000);
  EXPECT_EQ(a->dport, 80);

  auto b = turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 1007, "HTTP/1.1"), true, 4, kBudget);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->turn, 0);
  EXPECT_FALSE(b->turn_start);  // the same turn goes on
  EXPECT_EQ(b->stream_offset, 6u);

  auto reply =
      turns.chunk_of(packet(false, ip_proto_tcp, 80, kAck, 5001, "200"), false, 5, kBudget);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->turn, 0);
  EXPECT_TRUE(reply->turn_start);
  EXPECT_EQ(reply->stream_offset, 0u);

  auto again =
      turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 1015, "GET /2"), true, 6, kBudget);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->turn, 1);  // the client's second turn
  EXPECT_TRUE(again->turn_start);
  EXPECT_EQ(again->stream_offset, 14u);
}

TEST(CaptureTurnsTest, RetransmittedBytesAreSkipped) {
  CaptureTurns turns;
  turns.chunk_of(packet(true, ip_proto_tcp, 80, kSyn, 99, ""), true, 1, kBudget);
  ASSERT_TRUE(
      turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 100, "abcdef"), true, 2, kBudget));
  // The same segment again: nothing new.
  EXPECT_FALSE(
      turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 100, "abcdef"), true, 3, kBudget));
  // Partly sent before: only the new bytes, at their offset.
  auto part = turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 103, "defghi"), true, 4, kBudget);
  ASSERT_TRUE(part);
  EXPECT_EQ(text_of(*part), "ghi");
  EXPECT_EQ(part->stream_offset, 6u);
  EXPECT_EQ(part->wire_len, 3u);
  EXPECT_FALSE(part->turn_start);
}

TEST(CaptureTurnsTest, MidStreamFlowHasNoOffsets) {
  CaptureTurns turns;
  auto c = turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 7777, "xyz"), true, 1, kBudget);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->stream_offset);
  EXPECT_TRUE(c->turn_start);
  // Its own retransmission is still recognised from the first segment.
  EXPECT_FALSE(turns.chunk_of(packet(true, ip_proto_tcp, 80, kAck, 7777, "xyz"), true, 2, kBudget));
}

TEST(CaptureTurnsTest, EveryDnsMessageIsATurn) {
  CaptureTurns turns;
  auto q1 = turns.chunk_of(packet(true, ip_proto_udp, 53, 0, 0, "query-1"), true, 1, kBudget);
  auto q2 = turns.chunk_of(packet(true, ip_proto_udp, 53, 0, 0, "query-2"), true, 2, kBudget);
  ASSERT_TRUE(q1 && q2);
  EXPECT_TRUE(q1->turn_start);
  EXPECT_TRUE(q2->turn_start);
  EXPECT_EQ(q1->turn, 0);
  EXPECT_EQ(q2->turn, 1);
  EXPECT_EQ(q2->transport, ip_proto_udp);

  // Other UDP: datagrams of one side in a row are one turn.
  CaptureTurns quic;
  auto d1 = quic.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "one"), true, 1, kBudget);
  auto d2 = quic.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "two"), true, 2, kBudget);
  ASSERT_TRUE(d1 && d2);
  EXPECT_FALSE(d2->turn_start);
  EXPECT_EQ(d2->turn, 0);
}

TEST(CaptureTurnsTest, SnapLengthCutIsMarked) {
  CaptureTurns turns;
  auto c = turns.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "abc", 1200), true, 1, kBudget);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->cut);
  EXPECT_EQ(c->wire_len, 1200u);
  EXPECT_EQ(c->bytes.size(), 3u);
}

TEST(CaptureTurnsTest, TurnStopsAtItsBudget) {
  CaptureTurns turns;
  ASSERT_TRUE(turns.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "12345678"), true, 1, 8));
  // The turn's 8 bytes are taken: its next datagram gives nothing...
  EXPECT_FALSE(turns.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "more"), true, 2, 8));
  // ...until the conversation turns.
  ASSERT_TRUE(turns.chunk_of(packet(false, ip_proto_udp, 443, 0, 0, "reply"), false, 3, 8));
  auto next = turns.chunk_of(packet(true, ip_proto_udp, 443, 0, 0, "again"), true, 4, 8);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->turn, 1);
}

}  // namespace
}  // namespace procflow
