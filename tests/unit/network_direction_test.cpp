// Tests NetworkClassifier: CIDR parsing, prefix boundaries and the four
// directions of the CAR network_direction field.
#include "enrich/network_direction.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace procflow {
namespace {

using test::ip;

NetworkClassifier must_parse(const std::vector<std::string>& cidrs) {
  std::string error;
  auto c = NetworkClassifier::parse(cidrs, &error);
  EXPECT_TRUE(c.has_value()) << error;
  return c.value_or(NetworkClassifier::defaults());
}

std::string parse_error(const std::string& cidr) {
  std::string error;
  auto c = NetworkClassifier::parse({"10.0.0.0/8", cidr}, &error);
  EXPECT_FALSE(c.has_value()) << cidr;
  return error;
}

TEST(NetworkDirectionTest, DefaultsCoverPrivateLoopbackLinkLocalAndUla) {
  const auto c = NetworkClassifier::defaults();
  for (const char* inside :
       {"10.0.0.0", "10.255.255.255", "172.16.0.0", "172.31.255.255", "192.168.0.1",
        "192.168.255.255", "127.0.0.1", "127.255.255.254", "169.254.1.1", "::1", "fe80::1",
        "febf:ffff::1", "fc00::1", "fd12:3456::1"}) {
    EXPECT_TRUE(c.is_internal(ip(inside))) << inside;
  }
  for (const char* outside :
       {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
        "192.169.0.0", "128.0.0.1", "169.253.255.255", "169.255.0.0", "8.8.8.8", "::2",
        "::", "fec0::1", "fe7f::1", "fbff::1", "fe00::1", "2001:db8::1"}) {
    EXPECT_FALSE(c.is_internal(ip(outside))) << outside;
  }
}

TEST(NetworkDirectionTest, Rfc1918Boundary172) {
  const auto c = NetworkClassifier::defaults();
  EXPECT_FALSE(c.is_internal(ip("172.15.255.255")));
  EXPECT_TRUE(c.is_internal(ip("172.16.0.0")));
  EXPECT_TRUE(c.is_internal(ip("172.31.255.255")));
  EXPECT_FALSE(c.is_internal(ip("172.32.0.0")));
}

TEST(NetworkDirectionTest, MappedIpv6IsCheckedAsIpv4) {
  const auto c = NetworkClassifier::defaults();
  EXPECT_TRUE(c.is_internal(ip("::ffff:10.1.2.3")));
  EXPECT_TRUE(c.is_internal(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(c.is_internal(ip("::ffff:8.8.8.8")));
}

TEST(NetworkDirectionTest, MappedIpv6NetworkMatchesIpv4) {
  const auto c = must_parse({"::ffff:100.64.0.0/106"});
  EXPECT_TRUE(c.is_internal(ip("100.64.0.1")));
  EXPECT_TRUE(c.is_internal(ip("::ffff:100.127.255.255")));
  EXPECT_FALSE(c.is_internal(ip("100.128.0.0")));
}

TEST(NetworkDirectionTest, UnsetIsNeverInternal) {
  EXPECT_FALSE(NetworkClassifier::defaults().is_internal(IpAddress{}));
  EXPECT_FALSE(must_parse({"0.0.0.0/0", "::/0"}).is_internal(IpAddress{}));
}

TEST(NetworkDirectionTest, ZeroPrefixMatchesItsFamilyOnly) {
  const auto v4 = must_parse({"0.0.0.0/0"});
  EXPECT_TRUE(v4.is_internal(ip("0.0.0.0")));
  EXPECT_TRUE(v4.is_internal(ip("255.255.255.255")));
  EXPECT_FALSE(v4.is_internal(ip("2001:db8::1")));
  const auto v6 = must_parse({"::/0"});
  EXPECT_TRUE(v6.is_internal(ip("2001:db8::1")));
  EXPECT_TRUE(v6.is_internal(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(v6.is_internal(ip("1.2.3.4")));
}

TEST(NetworkDirectionTest, HostPrefixes) {
  const auto c = must_parse({"203.0.113.7/32", "2001:db8::7/128"});
  EXPECT_TRUE(c.is_internal(ip("203.0.113.7")));
  EXPECT_FALSE(c.is_internal(ip("203.0.113.6")));
  EXPECT_FALSE(c.is_internal(ip("203.0.113.8")));
  EXPECT_TRUE(c.is_internal(ip("2001:db8::7")));
  EXPECT_FALSE(c.is_internal(ip("2001:db8::6")));
  EXPECT_FALSE(c.is_internal(ip("2001:db8::8")));
}

TEST(NetworkDirectionTest, BareAddressIsSingleHost) {
  const auto c = must_parse({"198.51.100.1", "2001:db8::1"});
  EXPECT_TRUE(c.is_internal(ip("198.51.100.1")));
  EXPECT_FALSE(c.is_internal(ip("198.51.100.2")));
  EXPECT_TRUE(c.is_internal(ip("2001:db8::1")));
  EXPECT_FALSE(c.is_internal(ip("2001:db8::2")));
}

TEST(NetworkDirectionTest, OddPrefixLengthsAndHostBits) {
  // Host bits in the entry are ignored: 10.1.2.3/9 is 10.0.0.0/9.
  const auto c = must_parse({" 10.1.2.3/9 ", "2001:db8:8000::/33"});
  EXPECT_TRUE(c.is_internal(ip("10.0.0.0")));
  EXPECT_TRUE(c.is_internal(ip("10.127.255.255")));
  EXPECT_FALSE(c.is_internal(ip("10.128.0.0")));
  EXPECT_TRUE(c.is_internal(ip("2001:db8:8000::1")));
  EXPECT_TRUE(c.is_internal(ip("2001:db8:ffff:ffff::1")));
  EXPECT_FALSE(c.is_internal(ip("2001:db8:7fff:ffff::1")));
}

TEST(NetworkDirectionTest, EmptyListMakesEverythingExternal) {
  const auto c = must_parse({});
  EXPECT_FALSE(c.is_internal(ip("10.0.0.1")));
  EXPECT_EQ(c.classify(ip("10.0.0.1"), ip("10.0.0.2")), NetworkDirection::external);
}

TEST(NetworkDirectionTest, BadInputIsRejectedWithTheEntryNamed) {
  for (const char* bad : {"10.0.0.0/33", "abc", "1.2.3.4/", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8x", "10.0.0.0/ 8", "10.0.0/8", "1.2.3.4.5", "/8", "", "   ",
                          "10.0.0.0/99999999999999999999", "fe80::1%eth0/64", "10.0.0.0/8/8"}) {
    const std::string error = parse_error(bad);
    EXPECT_NE(error.find("\"" + std::string(bad) + "\""), std::string::npos)
        << "error for [" << bad << "] was: " << error;
  }
  EXPECT_NE(parse_error("10.0.0.0/33").find("32"), std::string::npos);
  EXPECT_NE(parse_error("::/129").find("128"), std::string::npos);
}

TEST(NetworkDirectionTest, NullErrorPointerIsAllowed) {
  EXPECT_FALSE(NetworkClassifier::parse({"abc"}, nullptr).has_value());
}

TEST(NetworkDirectionTest, ClassifyAllDirections) {
  const auto c = NetworkClassifier::defaults();
  EXPECT_EQ(c.classify(ip("10.0.0.5"), ip("192.168.1.1")), NetworkDirection::internal);
  EXPECT_EQ(c.classify(ip("10.0.0.5"), ip("93.184.216.34")), NetworkDirection::out);
  EXPECT_EQ(c.classify(ip("93.184.216.34"), ip("10.0.0.5")), NetworkDirection::in);
  EXPECT_EQ(c.classify(ip("93.184.216.34"), ip("8.8.8.8")), NetworkDirection::external);
  EXPECT_EQ(c.classify(ip("fd00::1"), ip("2001:4860:4860::8888")), NetworkDirection::out);
  EXPECT_EQ(c.classify(ip("::ffff:10.0.0.5"), ip("::1")), NetworkDirection::internal);
}

TEST(NetworkDirectionTest, ClassifyUnsetIsUnknown) {
  const auto c = NetworkClassifier::defaults();
  EXPECT_EQ(c.classify(IpAddress{}, ip("10.0.0.1")), NetworkDirection::unknown);
  EXPECT_EQ(c.classify(ip("10.0.0.1"), IpAddress{}), NetworkDirection::unknown);
  EXPECT_EQ(c.classify(IpAddress{}, IpAddress{}), NetworkDirection::unknown);
}

}  // namespace
}  // namespace procflow
