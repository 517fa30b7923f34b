// Tests the small value helpers of procflow/flow_event.h: tcp_flags_to_string
// (CAR's "SYN, ACK, PSH, FIN" form), IpAddress parsing, IPv4-mapped
// unmapping and text form, and the enum names the serializers print.
#include <gtest/gtest.h>

#include <string>

#include "procflow/flow_event.h"

namespace procflow {
namespace {

TEST(TcpFlagsToStringTest, ZeroIsEmpty) {
  EXPECT_EQ(tcp_flags_to_string(0), "");
}

TEST(TcpFlagsToStringTest, EachSingleFlagByName) {
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::fin), "FIN");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::syn), "SYN");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::rst), "RST");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::psh), "PSH");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::ack), "ACK");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::urg), "URG");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::ece), "ECE");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::cwr), "CWR");
}

TEST(TcpFlagsToStringTest, FlagBitsMatchTheTcpHeader) {
  EXPECT_EQ(tcp_flag::fin, 0x01);
  EXPECT_EQ(tcp_flag::syn, 0x02);
  EXPECT_EQ(tcp_flag::rst, 0x04);
  EXPECT_EQ(tcp_flag::psh, 0x08);
  EXPECT_EQ(tcp_flag::ack, 0x10);
  EXPECT_EQ(tcp_flag::urg, 0x20);
  EXPECT_EQ(tcp_flag::ece, 0x40);
  EXPECT_EQ(tcp_flag::cwr, 0x80);
}

TEST(TcpFlagsToStringTest, CombinationsInConnectionOrderNotBitOrder) {
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::syn | tcp_flag::ack), "SYN, ACK");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::fin | tcp_flag::syn | tcp_flag::ack | tcp_flag::psh),
            "SYN, ACK, PSH, FIN");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::syn | tcp_flag::rst), "SYN, RST");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::rst | tcp_flag::ack), "ACK, RST");
  EXPECT_EQ(tcp_flags_to_string(tcp_flag::fin | tcp_flag::rst), "FIN, RST");
}

TEST(TcpFlagsToStringTest, AllFlags) {
  EXPECT_EQ(tcp_flags_to_string(0xff), "SYN, ACK, PSH, URG, ECE, CWR, FIN, RST");
}

TEST(IpAddressTest, ParsesDottedIpv4) {
  auto a = IpAddress::parse("192.168.1.5");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->family, 4);
  EXPECT_EQ(a->size(), 4u);
  EXPECT_TRUE(a->is_set());
  EXPECT_EQ(a->bytes[0], 192);
  EXPECT_EQ(a->bytes[1], 168);
  EXPECT_EQ(a->bytes[2], 1);
  EXPECT_EQ(a->bytes[3], 5);
  for (size_t i = 4; i < 16; ++i) EXPECT_EQ(a->bytes[i], 0) << i;
  EXPECT_EQ(a->to_string(), "192.168.1.5");
}

TEST(IpAddressTest, ParsesIpv6) {
  auto a = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->family, 6);
  EXPECT_EQ(a->size(), 16u);
  EXPECT_EQ(a->bytes[0], 0x20);
  EXPECT_EQ(a->bytes[1], 0x01);
  EXPECT_EQ(a->bytes[2], 0x0d);
  EXPECT_EQ(a->bytes[3], 0xb8);
  EXPECT_EQ(a->bytes[15], 0x01);
  EXPECT_EQ(a->to_string(), "2001:db8::1");
}

TEST(IpAddressTest, Ipv6TextIsCanonicalised) {
  EXPECT_EQ(IpAddress::parse("2001:0DB8:0000:0000:0000:0000:0000:0001")->to_string(),
            "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("::")->to_string(), "::");
  EXPECT_EQ(IpAddress::parse("::1")->to_string(), "::1");
}

TEST(IpAddressTest, RejectsNonAddresses) {
  EXPECT_FALSE(IpAddress::parse("").has_value());
  EXPECT_FALSE(IpAddress::parse("localhost").has_value());
  EXPECT_FALSE(IpAddress::parse("1.2.3").has_value());
  EXPECT_FALSE(IpAddress::parse("256.1.1.1").has_value());
  EXPECT_FALSE(IpAddress::parse("1.2.3.4/8").has_value());
  EXPECT_FALSE(IpAddress::parse(" 1.2.3.4").has_value());
  EXPECT_FALSE(IpAddress::parse("1.2.3.4 ").has_value());
  EXPECT_FALSE(IpAddress::parse("2001:db8:::1").has_value());
  EXPECT_FALSE(IpAddress::parse("fe80::1%eth0").has_value());
  // Longer than any address text: rejected before copying.
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')).has_value());
}

TEST(IpAddressTest, ParseDoesNotReadPastTheView) {
  // A view into a longer string: only its characters count.
  const std::string text = "10.0.0.1999";
  EXPECT_EQ(IpAddress::parse(std::string_view(text).substr(0, 8))->to_string(), "10.0.0.1");
}

TEST(IpAddressTest, UnmappedTurnsMappedIpv6IntoIpv4) {
  auto mapped = IpAddress::parse("::ffff:10.1.2.3");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->family, 6);
  IpAddress plain = mapped->unmapped();
  EXPECT_EQ(plain.family, 4);
  EXPECT_EQ(plain, *IpAddress::parse("10.1.2.3"));
  EXPECT_EQ(plain.to_string(), "10.1.2.3");
}

TEST(IpAddressTest, UnmappedLeavesOtherAddressesAlone) {
  for (const char* text : {"10.1.2.3", "2001:db8::1", "::1", "::", "::10.1.2.3", "::fffe:10.1.2.3",
                           "64:ff9b::10.1.2.3"}) {
    auto a = IpAddress::parse(text);
    ASSERT_TRUE(a.has_value()) << text;
    EXPECT_EQ(a->unmapped(), *a) << text;
  }
  IpAddress unset;
  EXPECT_EQ(unset.unmapped(), unset);
}

TEST(IpAddressTest, FromNetworkOrderBytes) {
  const uint8_t v4[4] = {127, 0, 0, 1};
  EXPECT_EQ(IpAddress::v4(v4).to_string(), "127.0.0.1");
  const uint8_t v6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a};
  EXPECT_EQ(IpAddress::v6(v6).to_string(), "fe80::2a");
}

TEST(IpAddressTest, UnsetAddressPrintsEmpty) {
  IpAddress a;
  EXPECT_FALSE(a.is_set());
  EXPECT_EQ(a.to_string(), "");
}

TEST(FlowEventNamesTest, EnumNames) {
  EXPECT_EQ(to_string(FlowAction::start), "start");
  EXPECT_EQ(to_string(FlowAction::message), "message");
  EXPECT_EQ(to_string(FlowAction::end), "end");
  EXPECT_EQ(to_string(EndReason::none), "");
  EXPECT_EQ(to_string(EndReason::close), "close");
  EXPECT_EQ(to_string(EndReason::reset), "reset");
  EXPECT_EQ(to_string(EndReason::timeout), "timeout");
  EXPECT_EQ(to_string(EndReason::tracer_stop), "tracer_stop");
  EXPECT_EQ(to_string(NetworkDirection::unknown), "");
  EXPECT_EQ(to_string(NetworkDirection::in), "in");
  EXPECT_EQ(to_string(NetworkDirection::out), "out");
  EXPECT_EQ(to_string(NetworkDirection::internal), "internal");
  EXPECT_EQ(to_string(NetworkDirection::external), "external");
}

TEST(FlowEventNamesTest, TransportNames) {
  EXPECT_EQ(transport_name(6), "TCP");
  EXPECT_EQ(transport_name(17), "UDP");
  EXPECT_EQ(transport_name(1), "ICMP");
  EXPECT_EQ(transport_name(58), "ICMPv6");
  EXPECT_EQ(transport_name(132), "SCTP");
  EXPECT_EQ(transport_name(47), "");
}

}  // namespace
}  // namespace procflow
