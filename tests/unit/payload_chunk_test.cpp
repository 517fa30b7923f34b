// A payload record becomes a chunk only when its lengths add up: the kernel's
// sizes are checked, never trusted.
#include "collect/payload_chunk.h"

#include <gtest/gtest.h>

#include <cstring>

namespace procflow {
namespace {

pf_payload record(uint16_t copied, uint32_t on_wire) {
  pf_payload r{};
  r.hdr.kind = PF_REC_PAYLOAD;
  r.hdr.size = sizeof r;
  r.hdr.ktime_ns = 77;
  r.tuple.family = 4;
  r.tuple.proto = 6;
  const uint8_t src[4] = {10, 0, 0, 2}, dst[4] = {10, 0, 0, 1};
  std::memcpy(r.tuple.saddr, src, 4);
  std::memcpy(r.tuple.daddr, dst, 4);
  r.tuple.sport = 40000;
  r.tuple.dport = 80;
  r.payload_len = copied;
  r.wire_len = on_wire;
  r.turn = 2;
  r.flags = PF_PAYLOAD_TURN_START | PF_PAYLOAD_OFFSET_KNOWN | PF_PAYLOAD_CUT;
  r.stream_offset = 1000;
  std::memcpy(r.payload, "GET /", 5);
  return r;
}

TEST(PayloadChunkTest, CarriesTheRecordsFacts) {
  const pf_payload r = record(5, 1448);
  auto c = payload_chunk_of(r);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->src.to_string(), "10.0.0.2");
  EXPECT_EQ(c->dst.to_string(), "10.0.0.1");
  EXPECT_EQ(c->sport, 40000);
  EXPECT_EQ(c->dport, 80);
  EXPECT_EQ(c->transport, 6);
  EXPECT_EQ(c->turn, 2);
  EXPECT_TRUE(c->turn_start);
  EXPECT_TRUE(c->cut);
  EXPECT_EQ(c->stream_offset, 1000u);
  EXPECT_EQ(c->wire_len, 1448u);
  EXPECT_EQ(std::string(c->bytes.begin(), c->bytes.end()), "GET /");
  EXPECT_EQ(c->ktime_ns, 77u);
  EXPECT_FALSE(c->from_dns_capture);
}

TEST(PayloadChunkTest, RefusesLengthsThatDoNotAddUp) {
  EXPECT_FALSE(payload_chunk_of(record(0, 10)));                     // nothing copied
  EXPECT_FALSE(payload_chunk_of(record(PF_PAYLOAD_MAX + 1, 4000)));  // past the buffer
  EXPECT_FALSE(payload_chunk_of(record(20, 10)));                    // more than the packet had
  pf_payload r = record(5, 5);
  r.tuple.family = 9;
  EXPECT_FALSE(payload_chunk_of(r));
}

TEST(PayloadChunkTest, OffsetOnlyWhenTheKernelKnewIt) {
  pf_payload r = record(5, 5);
  r.flags = 0;
  auto c = payload_chunk_of(r);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->stream_offset);
  EXPECT_FALSE(c->turn_start);
}

TEST(PayloadChunkTest, ADnsMessageIsATurnOfItsOwn) {
  pf_dns d{};
  d.tuple.family = 4;
  d.tuple.proto = 17;
  d.proto = 17;
  d.payload_len = 12;
  auto c = payload_chunk_of(d);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->turn_start);
  EXPECT_TRUE(c->from_dns_capture);
  EXPECT_EQ(c->bytes.size(), 12u);
  d.payload_len = PF_DNS_MAX + 1;
  EXPECT_FALSE(payload_chunk_of(d));
}

}  // namespace
}  // namespace procflow
