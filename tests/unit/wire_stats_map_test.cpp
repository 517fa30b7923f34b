// Tests the userspace half of TC's per-connection counters: the key a flow's
// tuple maps to (it must be byte for byte the key bpf/tc.bpf.h builds from a
// packet), and the choice between the live and the retired generation of a
// tuple, which is what keeps a reused port from mixing two connections.
#include "collect/wire_stats_map.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace procflow {
namespace {

pf_tuple tuple(uint8_t family, const char* saddr, uint16_t sport, const char* daddr,
               uint16_t dport) {
  pf_tuple t{};
  t.family = family;
  t.proto = IPPROTO_TCP;
  EXPECT_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, saddr, t.saddr), 1);
  EXPECT_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, daddr, t.daddr), 1);
  t.sport = sport;
  t.dport = dport;
  return t;
}

pf_tuple v4(const char* saddr, uint16_t sport, const char* daddr, uint16_t dport) {
  return tuple(4, saddr, sport, daddr, dport);
}

TEST(WireKeyTest, LowerAddressFirst) {
  const auto k = wire_key_of(v4("10.0.0.54", 50438, "93.184.216.34", 443));
  const uint8_t lo[4] = {10, 0, 0, 54}, hi[4] = {93, 184, 216, 34};
  EXPECT_EQ(std::memcmp(k.addr_lo, lo, 4), 0);
  EXPECT_EQ(std::memcmp(k.addr_hi, hi, 4), 0);
  EXPECT_EQ(k.port_lo, 50438);
  EXPECT_EQ(k.port_hi, 443);
  EXPECT_EQ(k.family, 4);
  // IPv4 uses 4 bytes; the rest and the padding stay zero (hash map key).
  for (int i = 4; i < 16; ++i) {
    EXPECT_EQ(k.addr_lo[i], 0) << i;
    EXPECT_EQ(k.addr_hi[i], 0) << i;
  }
  for (uint8_t pad : k._pad) EXPECT_EQ(pad, 0);
}

TEST(WireKeyTest, BothOrientationsGiveTheSameKey) {
  const auto a = wire_key_of(v4("93.184.216.34", 443, "10.0.0.54", 50438));
  const auto b = wire_key_of(v4("10.0.0.54", 50438, "93.184.216.34", 443));
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  EXPECT_EQ(a.port_lo, 50438);
  EXPECT_EQ(a.addr_lo[0], 10);
}

TEST(WireKeyTest, AddressComparedAsBytesNotAsHostInteger) {
  // 10.0.0.255 < 10.0.1.0 in network order; a little-endian integer compare
  // would put them the other way round.
  const auto k = wire_key_of(v4("10.0.1.0", 1, "10.0.0.255", 2));
  EXPECT_EQ(k.addr_lo[2], 0);
  EXPECT_EQ(k.addr_lo[3], 255);
  EXPECT_EQ(k.port_lo, 2);
  EXPECT_EQ(k.port_hi, 1);
}

TEST(WireKeyTest, EqualAddressesTieBreakOnPort) {
  const auto a = wire_key_of(v4("127.0.0.1", 50000, "127.0.0.1", 8080));
  const auto b = wire_key_of(v4("127.0.0.1", 8080, "127.0.0.1", 50000));
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  EXPECT_EQ(a.port_lo, 8080);
  EXPECT_EQ(a.port_hi, 50000);
}

TEST(WireKeyTest, Ipv6UsesAllSixteenBytes) {
  const auto a = wire_key_of(tuple(6, "2001:db8::2", 80, "2001:db8::1", 40000));
  const auto b = wire_key_of(tuple(6, "2001:db8::1", 40000, "2001:db8::2", 80));
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  EXPECT_EQ(a.family, 6);
  EXPECT_EQ(a.addr_lo[15], 1);
  EXPECT_EQ(a.addr_hi[15], 2);
}

// A dual-stack socket's tuple is IPv6 with IPv4-mapped addresses, but its
// packets are IPv4 on the wire: the key must be the one TC builds for them.
TEST(WireKeyTest, Ipv4MappedTupleGivesTheKeyTcSees) {
  const auto mapped = wire_key_of(tuple(6, "::ffff:192.0.2.10", 40000, "::ffff:10.0.0.5", 80));
  const auto wire = wire_key_of(v4("192.0.2.10", 40000, "10.0.0.5", 80));
  EXPECT_EQ(mapped.family, 4);
  EXPECT_EQ(std::memcmp(&mapped, &wire, sizeof wire), 0);
}

pf_wire_stats stats(uint32_t syn_seq, uint64_t packets, bool from_syn = true) {
  pf_wire_stats s{};
  s.syn_seq = syn_seq;
  s.packets = packets;
  s.from_syn = from_syn;
  return s;
}

TEST(WireGenerationTest, TheLiveEntryOfTheSameSynWins) {
  auto got = pick_generation(stats(7, 11), stats(7, 99), 7);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->packets, 11u);
}

TEST(WireGenerationTest, AReusedTupleSendsTheOlderConnectionToItsRetiredEntry) {
  auto got = pick_generation(stats(8, 3), stats(7, 20), 7);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->packets, 20u);
}

TEST(WireGenerationTest, AnotherConnectionsEntryIsNeverUsed) {
  EXPECT_FALSE(pick_generation(stats(8, 3), std::nullopt, 7));
  EXPECT_FALSE(pick_generation(stats(8, 3), stats(9, 4), 7));
  EXPECT_FALSE(pick_generation(std::nullopt, std::nullopt, 7));
}

TEST(WireGenerationTest, AnEntryMadeWithoutASynIsTakenAsThisConnections) {
  auto got = pick_generation(stats(0, 5, /*from_syn=*/false), std::nullopt, 7);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->from_syn);
}

}  // namespace
}  // namespace procflow
