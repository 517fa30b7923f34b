// Checks community_id against every official Community ID v1 vector listed in
// shared/design/community-id.md, plus procflow's own edge cases.
#include "enrich/community_id.h"

#include "ip_literal.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <string>

namespace procflow {
namespace {

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kRsvp = 46;
constexpr uint8_t kIcmp6 = 58;
constexpr uint8_t kSctp = 132;

using test::ip;

TEST(CommunityIdTest, TcpBothDirections) {
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kTcp),
            "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 3344, 1122, kTcp),
            "1:wCb3OG7yAFWelaUydu0D+125CLM=");
}

TEST(CommunityIdTest, UnencodedFormOfFirstVector) {
  std::string id = community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kTcp);
  ASSERT_EQ(id.rfind("1:", 0), 0u);
  std::string b64 = id.substr(2);
  unsigned char raw[32] = {};
  int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  ASSERT_EQ(n, 21);  // 20 bytes plus one for the '=' padding, which DecodeBlock counts
  std::string hex;
  for (int i = 0; i < 20; ++i) {
    char h[3];
    std::snprintf(h, sizeof h, "%02x", raw[i]);
    hex += h;
  }
  EXPECT_EQ("1:" + hex, "1:c026f7386ef200559e95a53276ed03fb5db908b3");
}

TEST(CommunityIdTest, UdpBothDirections) {
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kUdp),
            "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 3344, 1122, kUdp),
            "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
}

TEST(CommunityIdTest, SctpBothDirections) {
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kSctp),
            "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 3344, 1122, kSctp),
            "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
}

TEST(CommunityIdTest, IcmpEchoRequestAndReplyHashAlike) {
  // Type goes in src_port, code in dst_port.
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 8, 0, kIcmp),
            "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 0, 0, kIcmp),
            "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
}

TEST(CommunityIdTest, IcmpWithoutCounterpartIsOneWay) {
  const std::string forward = community_id(ip("1.2.3.4"), ip("5.6.7.8"), 11, 0, kIcmp);
  EXPECT_EQ(forward, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
  // Never swapped: the same message the other way is a different flow.
  EXPECT_NE(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 11, 0, kIcmp), forward);
}

TEST(CommunityIdTest, Icmp6EchoRequestAndReplyHashAlike) {
  const IpAddress a = ip("fe80:0001:0203:0405:0607:0809:0A0B:0C0D");
  const IpAddress b = ip("fe80:1011:1213:1415:1617:1819:1A1B:1C1D");
  EXPECT_EQ(community_id(a, b, 128, 0, kIcmp6), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
  EXPECT_EQ(community_id(b, a, 129, 0, kIcmp6), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
}

TEST(CommunityIdTest, ProtocolWithoutPortsIgnoresPorts) {
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 0, 0, kRsvp),
            "1:ikv3kmf89luf73WPz1jOs49S768=");
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kRsvp),
            "1:ikv3kmf89luf73WPz1jOs49S768=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 0, 0, kRsvp),
            "1:ikv3kmf89luf73WPz1jOs49S768=");
}

TEST(CommunityIdTest, SeedOne) {
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kTcp, 1),
            "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
  EXPECT_EQ(community_id(ip("5.6.7.8"), ip("1.2.3.4"), 3344, 1122, kTcp, 1),
            "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
}

TEST(CommunityIdTest, Ipv6TcpBothDirections) {
  const IpAddress a = ip("2001:470:e5bf:dead:4957:2174:e82c:4887");
  const IpAddress b = ip("2607:f8b0:400c:c03::1a");
  EXPECT_EQ(community_id(a, b, 63943, 25, kTcp), "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  EXPECT_EQ(community_id(b, a, 25, 63943, kTcp), "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
}

TEST(CommunityIdTest, SourceAboveDestinationIsSwapped) {
  EXPECT_EQ(community_id(ip("128.232.110.120"), ip("66.35.250.204"), 34855, 80, kTcp),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(community_id(ip("66.35.250.204"), ip("128.232.110.120"), 80, 34855, kTcp),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

TEST(CommunityIdTest, EqualAddressesOrderByPort) {
  const IpAddress lo = ip("127.0.0.1");
  EXPECT_EQ(community_id(lo, lo, 40000, 80, kTcp), community_id(lo, lo, 80, 40000, kTcp));
  EXPECT_NE(community_id(lo, lo, 40000, 80, kTcp), community_id(lo, lo, 40001, 80, kTcp));
}

TEST(CommunityIdTest, MappedIpv6HashesAsIpv4) {
  EXPECT_EQ(community_id(ip("::ffff:1.2.3.4"), ip("::ffff:5.6.7.8"), 1122, 3344, kTcp),
            "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  EXPECT_EQ(community_id(ip("::ffff:1.2.3.4"), ip("5.6.7.8"), 1122, 3344, kTcp),
            "1:wCb3OG7yAFWelaUydu0D+125CLM=");
}

TEST(CommunityIdTest, MappedWithRealIpv6StaysIpv6) {
  const std::string id = community_id(ip("::ffff:1.2.3.4"), ip("2001:db8::1"), 1, 2, kTcp);
  EXPECT_EQ(id.size(), 30u);
  EXPECT_EQ(id.rfind("1:", 0), 0u);
}

TEST(CommunityIdTest, UnsetOrMixedFamilyGivesEmpty) {
  EXPECT_EQ(community_id(IpAddress{}, ip("5.6.7.8"), 1, 2, kTcp), "");
  EXPECT_EQ(community_id(ip("1.2.3.4"), IpAddress{}, 1, 2, kTcp), "");
  EXPECT_EQ(community_id(ip("1.2.3.4"), ip("2001:db8::1"), 1, 2, kTcp), "");
}

}  // namespace
}  // namespace procflow
