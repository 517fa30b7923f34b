// Tests the replay's packet parser on crafted frames: every link layer it reads (Ethernet, VLAN
// tags, PPPoE, Linux cooked v1/v2, raw IP), IPv4/IPv6 with extension headers and fragments,
// TCP/UDP fields and payload bounds; and that every truncation of a valid frame (and every
// lie a header can tell about lengths) is reported, never read past.
#include "replay/packet_parser.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <cstdint>
#include <string>
#include <vector>

namespace procflow {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void append(Bytes& to, const Bytes& from) {
  to.insert(to.end(), from.begin(), from.end());
}

Bytes ethernet(uint16_t ethertype) {
  Bytes b = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  put16(b, ethertype);
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload, uint32_t seq = 1000,
          uint32_t ack = 2000, size_t option_bytes = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  b.push_back(static_cast<uint8_t>(((20 + option_bytes) / 4) << 4));
  b.push_back(flags);
  put16(b, 65535);                        // window
  put16(b, 0);                            // checksum: not checked
  put16(b, 0);                            // urgent pointer
  b.insert(b.end(), option_bytes, 0x01);  // NOPs
  append(b, payload);
  return b;
}

Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload, int declared = -1) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(declared >= 0 ? declared : 8 + payload.size()));
  put16(b, 0);
  append(b, payload);
  return b;
}

// 10.0.0.1 -> 10.0.0.2 unless told otherwise.
Bytes ipv4(uint8_t proto, const Bytes& l4, uint16_t fragment = 0, int total = -1,
           uint8_t src_last = 1, uint8_t dst_last = 2) {
  Bytes b = {0x45, 0};
  put16(b, static_cast<uint16_t>(total >= 0 ? total : 20 + l4.size()));
  put16(b, 0x1234);  // id
  put16(b, fragment);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);  // checksum: not checked
  for (uint8_t x : {10, 0, 0, int(src_last)}) b.push_back(x);
  for (uint8_t x : {10, 0, 0, int(dst_last)}) b.push_back(x);
  append(b, l4);
  return b;
}

// 2001:db8::1 -> 2001:db8::2, with `extensions` (already encoded, chained by the caller)
// between the header and the transport.
Bytes ipv6(uint8_t next, const Bytes& rest, int payload_length = -1) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<uint16_t>(payload_length >= 0 ? payload_length : rest.size()));
  b.push_back(next);
  b.push_back(64);
  Bytes src(16, 0), dst(16, 0);
  src[0] = dst[0] = 0x20;
  src[1] = dst[1] = 0x01;
  src[2] = dst[2] = 0x0d;
  src[3] = dst[3] = 0xb8;
  src[15] = 1;
  dst[15] = 2;
  append(b, src);
  append(b, dst);
  append(b, rest);
  return b;
}

// An 8-byte IPv6 option header (hop-by-hop or destination options: PadN only).
Bytes ipv6_options(uint8_t next) {
  return {next, 0, 1, 4, 0, 0, 0, 0};
}

Bytes ipv6_fragment_header(uint8_t next, uint16_t offset_8byte_units, bool more) {
  Bytes b = {next, 0};
  put16(b, static_cast<uint16_t>(offset_8byte_units << 3 | (more ? 1 : 0)));
  put32(b, 0xabcd);
  return b;
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// The valid frames the truncation tests cut: TCP over IPv4 over Ethernet, and UDP over IPv6
// with a hop-by-hop and a destination-options header over Ethernet.
Bytes tcp_ipv4_frame() {
  Bytes f = ethernet(0x0800);
  append(f, ipv4(ip_proto_tcp, tcp(40000, 80, tcp_flag::psh | tcp_flag::ack,
                                   text("GET / HTTP/1.0\r\n\r\n"), 1000, 2000, 12)));
  return f;
}

Bytes udp_ipv6_frame() {
  Bytes ext = ipv6_options(60);
  append(ext, ipv6_options(ip_proto_udp));
  append(ext, udp(5353, 53, text("0123456789abcdef")));
  Bytes f = ethernet(0x86dd);
  append(f, ipv6(0, ext));
  return f;
}

ParseStatus parse(LinkType link, const Bytes& frame, ParsedPacket* out, uint32_t wire = 0) {
  return parse_packet(link, frame, wire ? wire : static_cast<uint32_t>(frame.size()), out);
}

std::string payload_text(const ParsedPacket& p) {
  return std::string(p.payload.begin(), p.payload.end());
}

TEST(ReplayParserTest, TcpOverIpv4OverEthernet) {
  const Bytes f = tcp_ipv4_frame();
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(p.dest_ip.to_string(), "10.0.0.2");
  EXPECT_EQ(p.ip_proto, ip_proto_tcp);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dest_port, 80);
  EXPECT_EQ(p.tcp_flags, tcp_flag::psh | tcp_flag::ack);
  EXPECT_EQ(p.tcp_seq, 1000u);
  EXPECT_EQ(p.tcp_ack, 2000u);
  EXPECT_EQ(p.ip_bytes, f.size() - 14);
  EXPECT_EQ(p.payload_bytes, 18u);
  EXPECT_EQ(payload_text(p), "GET / HTTP/1.0\r\n\r\n");  // after the 12 bytes of options
  EXPECT_FALSE(p.fragmented);
}

TEST(ReplayParserTest, UdpOverIpv6WithExtensionHeaders) {
  const Bytes f = udp_ipv6_frame();
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.src_ip.to_string(), "2001:db8::1");
  EXPECT_EQ(p.dest_ip.to_string(), "2001:db8::2");
  EXPECT_EQ(p.ip_proto, ip_proto_udp);
  EXPECT_EQ(p.src_port, 5353);
  EXPECT_EQ(p.dest_port, 53);
  EXPECT_EQ(p.ip_bytes, f.size() - 14);
  EXPECT_EQ(p.payload_bytes, 16u);
  EXPECT_EQ(payload_text(p), "0123456789abcdef");
}

// Cuts `frame` at every length from 0 to its size, in a buffer of exactly that size (so a
// sanitizer build sees any read past it), as a snap length would. Below `ports_end` the parser
// must say truncated; from there on the result is ok with the wire lengths unchanged and the
// payload (which starts at `payload_start`) no longer than what was captured.
void check_every_truncation(const Bytes& frame, size_t ports_end, size_t payload_start,
                            uint32_t payload_bytes) {
  for (size_t n = 0; n <= frame.size(); n++) {
    SCOPED_TRACE("captured " + std::to_string(n) + " of " + std::to_string(frame.size()));
    const Bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    ParsedPacket p;
    const ParseStatus s =
        parse_packet(LinkType::ethernet, cut, static_cast<uint32_t>(frame.size()), &p);
    if (n < ports_end) {
      EXPECT_EQ(s, ParseStatus::truncated);
      continue;
    }
    ASSERT_EQ(s, ParseStatus::ok);
    EXPECT_NE(p.src_port, 0);
    EXPECT_EQ(p.payload_bytes, payload_bytes);
    EXPECT_EQ(p.ip_bytes, frame.size() - 14);
    EXPECT_EQ(p.payload.size(), n - std::min(n, payload_start));
    if (!p.payload.empty()) {
      EXPECT_EQ(p.payload.data(), cut.data() + payload_start);
      EXPECT_LE(p.payload.data() + p.payload.size(), cut.data() + cut.size());
    }
  }
}

TEST(ReplayParserTest, EveryTruncationOfATcpIpv4FrameIsReported) {
  // The ports and flags need TCP's 20 fixed bytes; its 12 bytes of options may be cut.
  check_every_truncation(tcp_ipv4_frame(), 14 + 20 + 20, 14 + 20 + 32, 18);
}

TEST(ReplayParserTest, EveryTruncationOfAUdpIpv6FrameIsReported) {
  check_every_truncation(udp_ipv6_frame(), 14 + 40 + 8 + 8 + 8, 14 + 40 + 8 + 8 + 8, 16);
}

// The other way round: the frame is whole, but a length field claims more or less than there
// is. Every byte value of every length field and of the version/IHL byte, never a read past
// the frame, and never a payload outside it.
TEST(ReplayParserTest, LyingLengthFieldsStayInsideTheFrame) {
  struct Field {
    Bytes frame;
    std::vector<size_t> offsets;
  };
  const Field fields[] = {
      // IPv4: version/IHL, total length (2), TCP data offset.
      {tcp_ipv4_frame(), {14, 16, 17, 14 + 20 + 12}},
      // IPv6: payload length (2), both extension lengths, UDP length (2).
      {udp_ipv6_frame(), {18, 19, 14 + 40 + 1, 14 + 48 + 1, 14 + 56 + 4, 14 + 56 + 5}},
  };
  for (const Field& field : fields) {
    for (size_t offset : field.offsets) {
      for (int value = 0; value < 256; value++) {
        Bytes f = field.frame;
        f[offset] = static_cast<uint8_t>(value);
        for (uint32_t wire : {uint32_t(f.size()), uint32_t(f.size() + 1000), uint32_t(0)}) {
          ParsedPacket p;
          const ParseStatus s = parse_packet(LinkType::ethernet, f, wire, &p);
          if (s != ParseStatus::ok) continue;
          EXPECT_LE(p.payload.size(), p.payload_bytes);
          if (!p.payload.empty()) {
            EXPECT_GE(p.payload.data(), f.data());
            EXPECT_LE(p.payload.data() + p.payload.size(), f.data() + f.size());
          }
          EXPECT_LE(p.ip_bytes, std::max<size_t>(wire, f.size()) - 14);
        }
      }
    }
  }
}

TEST(ReplayParserTest, VlanTagsUpToTwo) {
  const Bytes inner = ipv4(ip_proto_udp, udp(1000, 53, text("x")));
  Bytes one = ethernet(0x8100);
  put16(one, 0x0064);  // VLAN 100
  put16(one, 0x0800);
  append(one, inner);
  Bytes two = ethernet(0x88a8);
  put16(two, 0x00c8);
  put16(two, 0x8100);
  put16(two, 0x0064);
  put16(two, 0x0800);
  append(two, inner);
  Bytes three = ethernet(0x88a8);
  for (int i = 0; i < 2; i++) {
    put16(three, 0x0001);
    put16(three, 0x8100);
  }
  put16(three, 0x0001);
  put16(three, 0x0800);
  append(three, inner);

  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, one, &p), ParseStatus::ok);
  EXPECT_EQ(p.dest_port, 53);
  EXPECT_EQ(payload_text(p), "x");
  ASSERT_EQ(parse(LinkType::ethernet, two, &p), ParseStatus::ok);
  EXPECT_EQ(p.dest_port, 53);
  EXPECT_EQ(p.ip_bytes, inner.size());
  // A third tag is beyond max_vlan_tags: not read as IP.
  EXPECT_EQ(parse(LinkType::ethernet, three, &p), ParseStatus::not_ip);
  // A tag cut by the capture.
  const Bytes cut(one.begin(), one.begin() + 16);
  EXPECT_EQ(parse(LinkType::ethernet, cut, &p), ParseStatus::truncated);
}

TEST(ReplayParserTest, PppoeSession) {
  // As in dns.pcap: Ethernet, PPPoE session header, PPP protocol 0x0021 (IPv4).
  Bytes f = ethernet(0x8864);
  const Bytes inner = ipv4(ip_proto_udp, udp(47255, 53, text("query")));
  f.insert(f.end(), {0x11, 0x00, 0x12, 0x34});
  put16(f, static_cast<uint16_t>(inner.size() + 2));
  put16(f, 0x0021);
  append(f, inner);
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.src_port, 47255);
  EXPECT_EQ(payload_text(p), "query");
  f[14 + 7] = 0x23;  // another PPP protocol: not IP
  EXPECT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::not_ip);
}

TEST(ReplayParserTest, LinuxCookedV1AndV2) {
  const Bytes inner = ipv6(ip_proto_tcp, tcp(443, 50000, tcp_flag::syn | tcp_flag::ack, {}));
  // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
  Bytes sll = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  put16(sll, 0x86dd);
  append(sll, inner);
  // SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes.
  Bytes sll2;
  put16(sll2, 0x86dd);
  put16(sll2, 0);
  put32(sll2, 2);
  put16(sll2, 1);
  sll2.insert(sll2.end(), {4, 6, 2, 0, 0, 0, 0, 1, 0, 0});
  append(sll2, inner);

  for (auto [link, frame] : {std::pair{LinkType::linux_sll, sll}, {LinkType::linux_sll2, sll2}}) {
    ParsedPacket p;
    ASSERT_EQ(parse(link, frame, &p), ParseStatus::ok);
    EXPECT_EQ(p.src_ip.to_string(), "2001:db8::1");
    EXPECT_EQ(p.src_port, 443);
    EXPECT_EQ(p.tcp_flags, tcp_flag::syn | tcp_flag::ack);
    EXPECT_EQ(p.ip_bytes, inner.size());
    EXPECT_EQ(p.payload_bytes, 0u);
    for (size_t n = 0; n < frame.size(); n++) {
      const Bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(parse_packet(link, cut, static_cast<uint32_t>(frame.size()), &p), ParseStatus::ok);
    }
  }
  // Cooked captures of non-IP protocols.
  Bytes arp = sll;
  arp[14] = 0x08;
  arp[15] = 0x06;
  ParsedPacket p;
  EXPECT_EQ(parse(LinkType::linux_sll, arp, &p), ParseStatus::not_ip);
}

TEST(ReplayParserTest, RawIp) {
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::raw_ip, ipv4(ip_proto_udp, udp(1, 2, text("ab"))), &p),
            ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 2u);
  ASSERT_EQ(parse(LinkType::raw_ip, ipv6(ip_proto_udp, udp(1, 2, text("abc"))), &p),
            ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 3u);
  EXPECT_EQ(parse(LinkType::raw_ip, Bytes{0x50, 0, 0, 0}, &p), ParseStatus::malformed);
  EXPECT_EQ(parse(LinkType::raw_ip, Bytes{}, &p), ParseStatus::truncated);
}

TEST(ReplayParserTest, LinkTypesFromPcap) {
  EXPECT_EQ(link_type_from_dlt(DLT_EN10MB), LinkType::ethernet);
  EXPECT_EQ(link_type_from_dlt(DLT_LINUX_SLL), LinkType::linux_sll);
  EXPECT_EQ(link_type_from_dlt(DLT_LINUX_SLL2), LinkType::linux_sll2);
  EXPECT_EQ(link_type_from_dlt(DLT_RAW), LinkType::raw_ip);
  EXPECT_EQ(link_type_from_dlt(DLT_IPV4), LinkType::raw_ip);
  EXPECT_EQ(link_type_from_dlt(DLT_IPV6), LinkType::raw_ip);
  EXPECT_EQ(link_type_from_dlt(DLT_IEEE802_11), LinkType::unsupported);
  EXPECT_EQ(link_type_from_dlt(DLT_NULL), LinkType::unsupported);
}

TEST(ReplayParserTest, Ipv4Fragments) {
  // First fragment of a 3000-byte UDP datagram: ports, flagged, the datagram's declared size.
  Bytes first = ethernet(0x0800);
  append(first, ipv4(ip_proto_udp, udp(53, 40000, Bytes(1472, 'a'), 3008), 0x2000));
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, first, &p), ParseStatus::ok);
  EXPECT_TRUE(p.fragmented);
  EXPECT_EQ(p.src_port, 53);
  EXPECT_EQ(p.payload_bytes, 3000u);
  EXPECT_EQ(p.payload.size(), 1472u);  // what this fragment holds
  EXPECT_EQ(p.ip_bytes, 20u + 8 + 1472);
  // A later fragment (offset 185 x 8 bytes): addresses, no ports.
  Bytes later = ethernet(0x0800);
  append(later, ipv4(ip_proto_udp, Bytes(100, 'b'), 185));
  ASSERT_EQ(parse(LinkType::ethernet, later, &p), ParseStatus::ip_fragment);
  EXPECT_EQ(p.src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(p.src_port, 0);
  EXPECT_EQ(p.ip_bytes, 120u);
}

TEST(ReplayParserTest, Ipv6Fragments) {
  Bytes first_rest = ipv6_fragment_header(ip_proto_udp, 0, true);
  append(first_rest, udp(53, 40000, Bytes(1000, 'a'), 2008));
  Bytes first = ethernet(0x86dd);
  append(first, ipv6(44, first_rest));
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, first, &p), ParseStatus::ok);
  EXPECT_TRUE(p.fragmented);
  EXPECT_EQ(p.payload_bytes, 2000u);

  Bytes later_rest = ipv6_fragment_header(ip_proto_udp, 126, false);
  append(later_rest, Bytes(500, 'b'));
  Bytes later = ethernet(0x86dd);
  append(later, ipv6(44, later_rest));
  ASSERT_EQ(parse(LinkType::ethernet, later, &p), ParseStatus::ip_fragment);
  EXPECT_EQ(p.ip_proto, ip_proto_udp);
  EXPECT_EQ(p.dest_ip.to_string(), "2001:db8::2");

  // An atomic fragment (offset 0, no more fragments, RFC 6946) is a whole datagram.
  Bytes atomic_rest = ipv6_fragment_header(ip_proto_udp, 0, false);
  append(atomic_rest, udp(53, 40000, text("whole")));
  Bytes atomic = ethernet(0x86dd);
  append(atomic, ipv6(44, atomic_rest));
  ASSERT_EQ(parse(LinkType::ethernet, atomic, &p), ParseStatus::ok);
  EXPECT_FALSE(p.fragmented);
  EXPECT_EQ(payload_text(p), "whole");
}

TEST(ReplayParserTest, TooManyIpv6ExtensionHeaders) {
  Bytes rest;
  for (int i = 0; i < 9; i++) append(rest, ipv6_options(i < 8 ? 60 : ip_proto_udp));
  append(rest, udp(1, 2, {}));
  Bytes f = ethernet(0x86dd);
  append(f, ipv6(60, rest));
  ParsedPacket p;
  EXPECT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::other_transport);
  // Eight are fine.
  rest.erase(rest.begin(), rest.begin() + 8);
  f = ethernet(0x86dd);
  append(f, ipv6(60, rest));
  EXPECT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  // An extension header longer than the packet.
  Bytes lying = ipv6_options(ip_proto_udp);
  lying[1] = 200;
  append(lying, udp(1, 2, {}));
  f = ethernet(0x86dd);
  append(f, ipv6(0, lying));
  EXPECT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::malformed);
}

TEST(ReplayParserTest, EthernetPaddingIsNotPayload) {
  // A 1-byte UDP payload makes a 43-byte frame, padded to Ethernet's 60-byte minimum.
  Bytes f = ethernet(0x0800);
  append(f, ipv4(ip_proto_udp, udp(1000, 2000, text("z"))));
  f.resize(60, 0);
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.ip_bytes, 29u);
  EXPECT_EQ(p.payload_bytes, 1u);
  EXPECT_EQ(payload_text(p), "z");
  // The same for TCP: a bare ACK is 54 bytes, padded to 60.
  f = ethernet(0x0800);
  append(f, ipv4(ip_proto_tcp, tcp(1, 2, tcp_flag::ack, {})));
  f.resize(60, 0);
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 0u);
  EXPECT_TRUE(p.payload.empty());
}

TEST(ReplayParserTest, SnapLengthCutsPayloadNotCounts) {
  // tcpdump -s 64: 10 payload bytes captured of 1000 on the wire.
  Bytes f = ethernet(0x0800);
  append(f, ipv4(ip_proto_tcp, tcp(1, 2, tcp_flag::ack, Bytes(1000, 'd'))));
  const uint32_t wire = static_cast<uint32_t>(f.size());
  f.resize(14 + 20 + 20 + 10);
  ParsedPacket p;
  ASSERT_EQ(parse_packet(LinkType::ethernet, f, wire, &p), ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 1000u);
  EXPECT_EQ(p.ip_bytes, 1040u);
  EXPECT_EQ(p.payload.size(), 10u);
}

TEST(ReplayParserTest, MalformedHeaders) {
  ParsedPacket p;
  Bytes bad_ihl = ethernet(0x0800);
  append(bad_ihl, ipv4(ip_proto_udp, udp(1, 2, {})));
  bad_ihl[14] = 0x44;
  EXPECT_EQ(parse(LinkType::ethernet, bad_ihl, &p), ParseStatus::malformed);
  Bytes bad_version = ethernet(0x0800);
  append(bad_version, ipv4(ip_proto_udp, udp(1, 2, {})));
  bad_version[14] = 0x65;
  EXPECT_EQ(parse(LinkType::ethernet, bad_version, &p), ParseStatus::malformed);
  Bytes short_total = ethernet(0x0800);
  append(short_total, ipv4(ip_proto_udp, udp(1, 2, {}), 0, 19));
  EXPECT_EQ(parse(LinkType::ethernet, short_total, &p), ParseStatus::malformed);
  // The IP packet ends before the UDP header does.
  Bytes short_udp = ethernet(0x0800);
  append(short_udp, ipv4(ip_proto_udp, udp(1, 2, {}), 0, 20 + 4));
  EXPECT_EQ(parse(LinkType::ethernet, short_udp, &p), ParseStatus::malformed);
  // TCP data offset below 5 words, or past the IP packet's end.
  Bytes small_doff = ethernet(0x0800);
  append(small_doff, ipv4(ip_proto_tcp, tcp(1, 2, 0, {})));
  small_doff[14 + 20 + 12] = 0x40;
  EXPECT_EQ(parse(LinkType::ethernet, small_doff, &p), ParseStatus::malformed);
  small_doff[14 + 20 + 12] = 0xf0;
  EXPECT_EQ(parse(LinkType::ethernet, small_doff, &p), ParseStatus::malformed);
  // A UDP length that claims more than the IP packet holds: the IP packet bounds it.
  Bytes long_udp = ethernet(0x0800);
  append(long_udp, ipv4(ip_proto_udp, udp(1, 2, text("abcd"), 5000)));
  ASSERT_EQ(parse(LinkType::ethernet, long_udp, &p), ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 4u);
  EXPECT_EQ(payload_text(p), "abcd");
}

TEST(ReplayParserTest, NotIpAndNotTcpOrUdp) {
  ParsedPacket p;
  Bytes arp = ethernet(0x0806);
  arp.resize(42, 0);
  EXPECT_EQ(parse(LinkType::ethernet, arp, &p), ParseStatus::not_ip);
  Bytes icmp = ethernet(0x0800);
  append(icmp, ipv4(1, Bytes{8, 0, 0, 0, 0, 1, 0, 1}));
  EXPECT_EQ(parse(LinkType::ethernet, icmp, &p), ParseStatus::other_transport);
  EXPECT_EQ(p.ip_proto, 1);
  EXPECT_EQ(p.dest_ip.to_string(), "10.0.0.2");
  EXPECT_EQ(parse(LinkType::unsupported, icmp, &p), ParseStatus::not_ip);
}

TEST(ReplayParserTest, TsoFramesWithZeroIpLength) {
  // A sender-side capture of a segmentation-offload super-packet can carry IPv4 total length 0:
  // the frame's length stands in for it.
  Bytes f = ethernet(0x0800);
  append(f, ipv4(ip_proto_tcp, tcp(1, 2, tcp_flag::ack, Bytes(3000, 'x')), 0, 0));
  ParsedPacket p;
  ASSERT_EQ(parse(LinkType::ethernet, f, &p), ParseStatus::ok);
  EXPECT_EQ(p.payload_bytes, 3000u);
  EXPECT_EQ(p.ip_bytes, 3040u);
}

}  // namespace
}  // namespace procflow
