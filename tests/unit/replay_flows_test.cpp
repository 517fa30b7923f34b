// Tests the replay's flow table on hand-made packets: orientation (first sender, or the SYN's
// sender), per-direction counts, the TCP flag union, TCP close/reset with the last ACK counted
// and stray packets after it ignored, UDP idle timeouts on the capture's clock, the end of the
// capture, DNS answers naming later flows (UDP and TCP split over segments), the flow limit, and
// that no process or sensor-host field is ever set.
#include "replay/replay_flows.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns_wire_builder.h"
#include "enrich/community_id.h"
#include "output/json_serializer.h"
#include "proto/ndpi_engine.h"
#include "proto_tls_peer.h"

namespace procflow {
namespace {

using Bytes = std::vector<uint8_t>;

using test::ip;

struct Endpoint {
  const char* address;
  uint16_t port;
};

constexpr Endpoint kClient{"10.0.0.1", 40000};
constexpr Endpoint kServer{"10.0.0.2", 80};
constexpr uint64_t kT0 = 1'700'000'000'000'000;  // capture time, microseconds
constexpr uint64_t kSecond = 1'000'000;

ParsedPacket udp_packet(Endpoint from, Endpoint to, uint32_t payload_bytes,
                        std::span<const uint8_t> payload = {}) {
  ParsedPacket p;
  p.src_ip = ip(from.address);
  p.dest_ip = ip(to.address);
  p.src_port = from.port;
  p.dest_port = to.port;
  p.ip_proto = ip_proto_udp;
  p.payload_bytes = payload_bytes;
  p.payload = payload;
  p.ip_bytes = (p.src_ip.family == 4 ? 20 : 40) + 8 + payload_bytes;
  return p;
}

ParsedPacket tcp_packet(Endpoint from, Endpoint to, uint8_t flags, uint32_t seq, uint32_t ack,
                        uint32_t payload_bytes = 0, std::span<const uint8_t> payload = {}) {
  ParsedPacket p;
  p.src_ip = ip(from.address);
  p.dest_ip = ip(to.address);
  p.src_port = from.port;
  p.dest_port = to.port;
  p.ip_proto = ip_proto_tcp;
  p.tcp_flags = flags;
  p.tcp_seq = seq;
  p.tcp_ack = ack;
  p.payload_bytes = payload_bytes;
  p.payload = payload;
  p.ip_bytes = (p.src_ip.family == 4 ? 20 : 40) + 20 + payload_bytes;
  return p;
}

struct Emitted {
  FlowEvent event;
  ReplayFlowRecord record;
};

// A flow table whose events are kept.
struct Replay {
  explicit Replay(ReplayOptions options = {})
      : flows(std::move(options), [this](const FlowEvent& e, const ReplayFlowRecord& r) {
          events.push_back({e, r});
        }) {}

  // Adds p at kT0 + at_us, as a frame 14 bytes longer than its IP packet (Ethernet).
  void add(const ParsedPacket& p, uint64_t at_us) { flows.add(p, kT0 + at_us, p.ip_bytes + 14); }

  std::vector<Emitted> of(FlowAction action) const {
    std::vector<Emitted> out;
    for (const auto& e : events)
      if (e.event.action == action) out.push_back(e);
    return out;
  }

  std::vector<Emitted> events;
  ReplayFlows flows;
};

constexpr uint8_t kSyn = tcp_flag::syn, kAck = tcp_flag::ack, kFin = tcp_flag::fin,
                  kPsh = tcp_flag::psh, kRst = tcp_flag::rst;

// A whole connection: handshake, 10 bytes up, 300 down, close initiated by the client.
void add_connection(Replay& r, uint64_t start_us) {
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), start_us);
  r.add(tcp_packet(kServer, kClient, kSyn | kAck, 500, 101), start_us + 1);
  r.add(tcp_packet(kClient, kServer, kAck, 101, 501), start_us + 2);
  r.add(tcp_packet(kClient, kServer, kPsh | kAck, 101, 501, 10), start_us + 3);
  r.add(tcp_packet(kServer, kClient, kPsh | kAck, 501, 111, 300), start_us + 4);
  r.add(tcp_packet(kClient, kServer, kFin | kAck, 111, 801), start_us + 5);
  r.add(tcp_packet(kServer, kClient, kAck, 801, 112), start_us + 6);
  r.add(tcp_packet(kServer, kClient, kFin | kAck, 801, 112), start_us + 7);
  r.add(tcp_packet(kClient, kServer, kAck, 112, 802), start_us + 8);  // acknowledges the last FIN
}

TEST(ReplayFlowsTest, TcpConnectionFromStartToClose) {
  Replay r;
  add_connection(r, 0);
  ASSERT_EQ(r.events.size(), 2u);
  const FlowEvent& start = r.events[0].event;
  EXPECT_EQ(start.action, FlowAction::start);
  EXPECT_EQ(start.timestamp_us, kT0);
  EXPECT_EQ(start.start_time_us, kT0);
  EXPECT_EQ(start.src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(start.src_port, 40000);
  EXPECT_EQ(start.dest_ip.to_string(), "10.0.0.2");
  EXPECT_EQ(start.dest_port, 80);
  EXPECT_EQ(start.transport, ip_proto_tcp);
  EXPECT_EQ(start.network_direction, NetworkDirection::internal);
  EXPECT_EQ(start.community_id,
            community_id(ip("10.0.0.1"), ip("10.0.0.2"), 40000, 80, ip_proto_tcp));
  EXPECT_FALSE(start.packet_count.has_value());

  const Emitted& end = r.events[1];
  EXPECT_EQ(end.event.action, FlowAction::end);
  EXPECT_EQ(end.event.end_reason, EndReason::close);
  EXPECT_EQ(end.event.timestamp_us, kT0 + 8);  // the last ACK belongs to the flow
  EXPECT_EQ(end.event.end_time_us, kT0 + 8);
  EXPECT_EQ(end.event.start_time_us, kT0);
  EXPECT_EQ(end.event.packet_count, 9u);
  EXPECT_EQ(end.event.out_bytes, 10u);  // sent by the initiator
  EXPECT_EQ(end.event.in_bytes, 300u);  // sent by the responder
  EXPECT_EQ(end.event.tcp_flags, kSyn | kAck | kPsh | kFin);
  EXPECT_EQ(end.event.community_id, start.community_id);
  EXPECT_EQ(end.record.out.packets, 5u);
  EXPECT_EQ(end.record.in.packets, 4u);
  EXPECT_EQ(end.record.out.ip_bytes, 5u * 40 + 10);
  EXPECT_EQ(end.record.in.ip_bytes, 4u * 40 + 300);
  EXPECT_EQ(end.record.out.frame_bytes, end.record.out.ip_bytes + 5 * 14);
  EXPECT_EQ(r.flows.open_flows(), 0u);

  // A retransmitted FIN after the close is a stray of the closed flow, not a new flow.
  r.add(tcp_packet(kServer, kClient, kFin | kAck, 801, 112), 20);
  EXPECT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.flows.stats().after_close, 1u);
  // A new SYN on the same 5-tuple is a new connection at once.
  r.add(tcp_packet(kClient, kServer, kSyn, 9000, 0), 30);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[2].event.action, FlowAction::start);
  EXPECT_EQ(r.events[2].event.timestamp_us, kT0 + 30);
  EXPECT_EQ(r.flows.stats().flows_started, 2u);
}

TEST(ReplayFlowsTest, StrayPacketsAfterTheLingerStartANewFlow) {
  Replay r;
  add_connection(r, 0);
  r.add(tcp_packet(kServer, kClient, kAck, 900, 112), 61 * kSecond);
  ASSERT_EQ(r.of(FlowAction::start).size(), 2u);
  // Seen mid-stream: its first packet's sender is all there is to go by.
  EXPECT_EQ(r.events.back().event.src_ip.to_string(), "10.0.0.2");
}

TEST(ReplayFlowsTest, SynAckFirstMeansTheReceiverInitiated) {
  Replay r;
  r.add(tcp_packet(kServer, kClient, kSyn | kAck, 500, 101), 0);
  r.add(tcp_packet(kClient, kServer, kAck, 101, 501), 1);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].event.src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(r.events[0].event.src_port, 40000);
  r.flows.finish();
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].record.out.packets, 1u);
  EXPECT_EQ(r.events[1].record.in.packets, 1u);
}

TEST(ReplayFlowsTest, ResetEndsTheFlow) {
  Replay r;
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 0);
  r.add(tcp_packet(kServer, kClient, kRst | kAck, 0, 101), 5);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].event.end_reason, EndReason::reset);
  EXPECT_EQ(r.events[1].event.packet_count, 2u);
  EXPECT_EQ(r.events[1].event.tcp_flags, kSyn | kAck | kRst);
  EXPECT_EQ(r.events[1].event.in_bytes, 0u);
  EXPECT_EQ(r.events[1].event.out_bytes, 0u);
  // The client retrying the connection (a SYN again) is a new flow.
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 1 * kSecond);
  EXPECT_EQ(r.of(FlowAction::start).size(), 2u);
}

TEST(ReplayFlowsTest, SynRetransmissionIsTheSameFlow) {
  Replay r;
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 0);
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 1 * kSecond);
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 3 * kSecond);
  r.flows.finish();
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].event.packet_count, 3u);
  EXPECT_EQ(r.events[1].event.end_reason, EndReason::none);
}

TEST(ReplayFlowsTest, EndOfCaptureEndsOpenFlowsInStartOrder) {
  Replay r;
  // Mid-stream TCP (no SYN), one FIN exchange whose last ACK is missing, and a UDP flow.
  r.add(tcp_packet(kServer, kClient, kPsh | kAck, 7000, 300, 100), 0);
  const Endpoint other{"10.0.0.3", 22};
  r.add(tcp_packet(kClient, other, kFin | kAck, 1, 1), 1);
  r.add(tcp_packet(other, kClient, kFin | kAck, 1, 2), 2);
  r.add(udp_packet({"10.0.0.1", 5000}, {"10.0.0.9", 53}, 30), 3);
  r.flows.finish();
  const auto ends = r.of(FlowAction::end);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends[0].event.src_ip.to_string(), "10.0.0.2");  // the first sender
  EXPECT_EQ(ends[0].event.end_reason, EndReason::none);
  EXPECT_EQ(ends[0].event.out_bytes, 100u);
  EXPECT_EQ(ends[1].event.dest_port, 22);
  EXPECT_EQ(ends[1].event.end_reason, EndReason::close);  // both FINs seen
  EXPECT_EQ(ends[2].event.transport, ip_proto_udp);
  EXPECT_EQ(ends[2].event.end_reason, EndReason::none);
  // "No end_reason" is what the JSON says about a flow the capture cut.
  std::string json;
  append_json_line(ends[0].event, json);
  EXPECT_EQ(json.find("end_reason"), std::string::npos) << json;
}

TEST(ReplayFlowsTest, UdpIdleTimeoutOnTheCaptureClock) {
  Replay r;
  const Endpoint dns_server{"10.0.0.53", 53};
  r.add(udp_packet(kClient, dns_server, 40), 0);
  r.add(udp_packet(dns_server, kClient, 120), 1 * kSecond);
  // 59.999999 s of silence: still the same flow.
  r.add(udp_packet(kClient, dns_server, 40), 61 * kSecond - 1);
  EXPECT_EQ(r.events.size(), 1u);
  // Exactly 60 s of silence: the flow has ended; this datagram starts another.
  r.add(udp_packet(kClient, dns_server, 40), 121 * kSecond - 1);
  ASSERT_EQ(r.events.size(), 3u);
  const Emitted& end = r.events[1];
  EXPECT_EQ(end.event.action, FlowAction::end);
  EXPECT_EQ(end.event.end_reason, EndReason::timeout);
  EXPECT_EQ(end.event.end_time_us, kT0 + 61 * kSecond - 1);  // its last datagram
  EXPECT_EQ(end.event.packet_count, 3u);
  EXPECT_EQ(end.event.out_bytes, 80u);
  EXPECT_EQ(end.event.in_bytes, 120u);
  EXPECT_EQ(end.event.tcp_flags, 0);
  EXPECT_EQ(r.events[2].event.action, FlowAction::start);
  EXPECT_EQ(r.events[2].event.start_time_us, kT0 + 121 * kSecond - 1);
  // Another flow's datagram moves the clock too.
  r.add(udp_packet({"10.0.0.7", 1}, {"10.0.0.8", 2}, 1), 200 * kSecond);
  EXPECT_EQ(r.of(FlowAction::end).size(), 2u);
}

TEST(ReplayFlowsTest, ShorterIdleTimeout) {
  ReplayOptions options;
  options.udp_idle_timeout_us = 5 * kSecond;
  Replay r(options);
  r.add(udp_packet(kClient, kServer, 1), 0);
  r.add(udp_packet(kClient, kServer, 1), 6 * kSecond);
  EXPECT_EQ(r.of(FlowAction::start).size(), 2u);
}

TEST(ReplayFlowsTest, CountsFollowTheInitiator) {
  Replay r;
  // The responder sends more, in more datagrams, than the initiator.
  r.add(udp_packet(kClient, kServer, 10), 0);
  for (int i = 1; i <= 3; i++) r.add(udp_packet(kServer, kClient, 1000), i);
  r.flows.finish();
  const Emitted& end = r.events.back();
  EXPECT_EQ(end.event.out_bytes, 10u);
  EXPECT_EQ(end.event.in_bytes, 3000u);
  EXPECT_EQ(end.record.out.packets, 1u);
  EXPECT_EQ(end.record.in.packets, 3u);
  EXPECT_EQ(end.record.out.ip_bytes, 38u);
  EXPECT_EQ(end.record.in.ip_bytes, 3u * 1028);
  EXPECT_EQ(end.record.in.payload_bytes, 3000u);
}

TEST(ReplayFlowsTest, TimeGoingBackwardsEndsNothing) {
  Replay r;
  r.add(udp_packet(kClient, kServer, 1), 100 * kSecond);
  r.add(udp_packet({"10.0.0.5", 1}, {"10.0.0.6", 2}, 1), 0);  // stamped earlier
  r.add(udp_packet(kClient, kServer, 1), 101 * kSecond);
  EXPECT_EQ(r.of(FlowAction::end).size(), 0u);
  r.flows.finish();
  const auto ends = r.of(FlowAction::end);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].event.packet_count, 2u);
  EXPECT_EQ(ends[1].event.start_time_us, kT0);
}

TEST(ReplayFlowsTest, FragmentedDatagramsAreNoted) {
  Replay r;
  ParsedPacket first = udp_packet({"10.0.0.53", 53}, kClient, 3000);
  first.fragmented = true;
  r.add(first, 0);
  r.flows.finish();
  EXPECT_EQ(r.events.back().record.fragmented_datagrams, 1u);
  EXPECT_EQ(r.events.back().event.out_bytes, 3000u);
}

TEST(ReplayFlowsTest, FlowLimit) {
  ReplayOptions options;
  options.max_flows = 2;
  Replay r(options);
  r.add(udp_packet({"10.0.0.1", 1}, kServer, 1), 0);
  r.add(udp_packet({"10.0.0.1", 2}, kServer, 1), 1);
  r.add(udp_packet({"10.0.0.1", 3}, kServer, 1), 2);
  r.add(udp_packet({"10.0.0.1", 1}, kServer, 1), 3);  // a tracked flow still counts
  EXPECT_EQ(r.flows.stats().table_full, 1u);
  EXPECT_EQ(r.of(FlowAction::start).size(), 2u);
}

// ---- DNS -----------------------------------------------------------------------------------

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// A NOERROR response to "A? <name>" answering `addresses` (IPv4, TTL 300).
Bytes dns_response(const std::string& name, const std::vector<std::array<uint8_t, 4>>& addresses) {
  Bytes b;
  put16(b, 0x1234);  // id
  put16(b, 0x8180);  // response, recursion desired and available, NOERROR
  put16(b, 1);
  put16(b, static_cast<uint16_t>(addresses.size()));
  put16(b, 0);
  put16(b, 0);
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); i++) {
    if (i == name.size() || name[i] == '.') {
      b.push_back(static_cast<uint8_t>(i - label));
      b.insert(b.end(), name.begin() + static_cast<std::ptrdiff_t>(label),
               name.begin() + static_cast<std::ptrdiff_t>(i));
      label = i + 1;
    }
  }
  b.push_back(0);
  put16(b, 1);  // A
  put16(b, 1);  // IN
  for (const auto& a : addresses) {
    put16(b, 0xc00c);  // the question's name
    put16(b, 1);
    put16(b, 1);
    put16(b, 0);
    put16(b, 300);
    put16(b, 4);
    b.insert(b.end(), a.begin(), a.end());
  }
  return b;
}

constexpr Endpoint kResolver{"10.0.0.53", 53};
constexpr Endpoint kWeb{"93.184.216.34", 443};

TEST(ReplayFlowsTest, DnsAnswersNameLaterFlows) {
  Replay r;
  // A flow to the address before anyone asked for its name: unnamed, at its end too.
  r.add(tcp_packet({"10.0.0.1", 39999}, kWeb, kSyn, 1, 0), 0);
  const Bytes answer = dns_response("www.Example.com", {{93, 184, 216, 34}});
  r.add(udp_packet(kClient, kResolver, 33), 1 * kSecond);
  r.add(udp_packet(kResolver, kClient, static_cast<uint32_t>(answer.size()), answer),
        1 * kSecond + 10);
  r.add(tcp_packet({"10.0.0.1", 40001}, kWeb, kSyn, 1, 0), 2 * kSecond);
  r.flows.finish();

  const auto starts = r.of(FlowAction::start);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts[0].event.dest_fqdn, "");
  EXPECT_EQ(starts[1].event.dest_ip.to_string(), "10.0.0.53");
  EXPECT_EQ(starts[2].event.dest_fqdn, "www.example.com");  // the asked name, lowercased
  EXPECT_EQ(starts[2].event.dest_hostname, "www");
  EXPECT_EQ(starts[2].event.network_direction, NetworkDirection::out);
  for (const auto& e : r.of(FlowAction::end)) {
    if (e.event.src_port == 39999) EXPECT_EQ(e.event.dest_fqdn, "") << "renamed at its end";
    if (e.event.src_port == 40001) EXPECT_EQ(e.event.dest_fqdn, "www.example.com");
  }
  EXPECT_EQ(r.flows.dns().stats().messages, 1u);
  EXPECT_EQ(r.flows.dns().stats().address_answers, 1u);
}

// An answer through an alias names the flow by the asked name and gives the
// end of the CNAME chain as dest_canonical, as live tracing does.
TEST(ReplayFlowsTest, AnAliasGivesTheCanonicalName) {
  Replay r;
  test::MessageSpec spec;
  spec.question = "www.example.com. IN A";
  spec.answers = {"www.example.com. 300 IN CNAME edge.cdn.example.",
                  "edge.cdn.example. 300 IN A 93.184.216.34"};
  const Bytes answer = test::build_dns(spec);
  r.add(udp_packet(kClient, kResolver, 33), 1 * kSecond);
  r.add(udp_packet(kResolver, kClient, static_cast<uint32_t>(answer.size()), answer),
        1 * kSecond + 10);
  r.add(tcp_packet({"10.0.0.1", 40001}, kWeb, kSyn, 1, 0), 2 * kSecond);
  r.flows.finish();
  bool seen = false;
  for (const auto& e : r.of(FlowAction::start)) {
    if (e.event.dest_port != 443) continue;
    seen = true;
    EXPECT_EQ(e.event.dest_fqdn, "www.example.com");
    EXPECT_EQ(e.event.dest_canonical, "edge.cdn.example");
    EXPECT_EQ(e.event.dest_fqdn_source, NameSource::dns);
  }
  EXPECT_TRUE(seen);
}

TEST(ReplayFlowsTest, DnsNamesExpireOnTheCaptureClock) {
  Replay r;
  const Bytes answer = dns_response("short.example", {{192, 0, 2, 7}});
  r.add(udp_packet(kResolver, kClient, static_cast<uint32_t>(answer.size()), answer), 0);
  // TTL 300 s: a flow a day later of capture time is not named by it.
  r.add(udp_packet({"10.0.0.1", 1234}, {"192.0.2.7", 9}, 1), 86'400 * kSecond);
  EXPECT_EQ(r.of(FlowAction::start).back().event.dest_fqdn, "");
}

TEST(ReplayFlowsTest, DnsResponsesThatCannotBeReadTeachNothing) {
  Replay r;
  Bytes answer = dns_response("cut.example", {{192, 0, 2, 8}});
  // Cut by the snap length: 20 of its bytes captured.
  r.add(udp_packet(kResolver, kClient, static_cast<uint32_t>(answer.size()),
                   std::span<const uint8_t>(answer).first(20)),
        0);
  // In IP fragments.
  ParsedPacket fragment =
      udp_packet({"10.0.0.54", 53}, kClient, static_cast<uint32_t>(answer.size()) + 2000, answer);
  fragment.fragmented = true;
  r.add(fragment, 1);
  // Not DNS at all.
  const Bytes junk = {1, 2, 3};
  r.add(udp_packet({"10.0.0.55", 53}, kClient, 3, junk), 2);
  r.add(udp_packet(kClient, {"192.0.2.8", 80}, 1), 3);
  EXPECT_EQ(r.of(FlowAction::start).back().event.dest_fqdn, "");
  const ReplayDnsStats& s = r.flows.dns().stats();
  EXPECT_EQ(s.cut_short, 1u);
  EXPECT_EQ(s.fragmented, 1u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.messages, 0u);
}

TEST(ReplayFlowsTest, DnsOverTcpAcrossSegments) {
  Replay r;
  const Bytes message = dns_response("big.example", {{192, 0, 2, 1}, {192, 0, 2, 2}});
  Bytes framed;
  put16(framed, static_cast<uint16_t>(message.size()));
  framed.insert(framed.end(), message.begin(), message.end());
  const std::span<const uint8_t> all(framed);
  const auto head = all.first(10);
  const auto tail = all.subspan(15);
  const Endpoint client{"10.0.0.1", 40002};
  const Endpoint server{"10.0.0.53", 53};
  r.add(tcp_packet(client, server, kSyn, 10, 0), 0);
  r.add(tcp_packet(server, client, kSyn | kAck, 1000, 11), 1);
  r.add(tcp_packet(server, client, kPsh | kAck, 1001, 11, 10, head), 2);
  r.add(tcp_packet(server, client, kPsh | kAck, 1001, 11, 10, head), 3);  // a retransmission
  // A segment overlapping what was taken (5 old bytes, 5 new), then the rest.
  r.add(tcp_packet(server, client, kPsh | kAck, 1006, 11, 10, all.subspan(5, 10)), 4);
  r.add(tcp_packet(server, client, kPsh | kAck, 1016, 11, static_cast<uint32_t>(tail.size()), tail),
        5);
  EXPECT_EQ(r.flows.dns().stats().messages, 1u);
  EXPECT_EQ(r.flows.dns().stats().address_answers, 2u);
  r.add(udp_packet(client, {"192.0.2.2", 443}, 1), 6);
  EXPECT_EQ(r.of(FlowAction::start).back().event.dest_fqdn, "big.example");
  EXPECT_EQ(r.flows.dns().stats().tcp_resyncs, 0u);
}

TEST(ReplayFlowsTest, NoProcessOrSensorHostFields) {
  Replay r;
  add_connection(r, 0);
  for (const auto& e : r.events) {
    std::string json;
    append_json_line(e.event, json);
    for (const char* key :
         {"\"pid\"", "\"ppid\"", "\"uid\"", "\"user\"", "\"exe\"", "\"image_path\"", "\"comm\"",
          "\"hostname\"", "\"fqdn\"", "\"initiated\"", "\"netns\"", "\"interface\""})
      EXPECT_EQ(json.find(key), std::string::npos) << key << " in " << json;
    EXPECT_NE(json.find("\"community_id\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"network_direction\":\"internal\""), std::string::npos) << json;
  }
}

TEST(ReplayFlowsTest, Ipv6FlowsAndSelfConnections) {
  Replay r;
  r.add(udp_packet({"2001:db8::1", 5353}, {"ff02::fb", 5353}, 50), 0);
  r.add(udp_packet({"::1", 7}, {"::1", 7}, 5), 1);
  r.add(udp_packet({"::1", 7}, {"::1", 7}, 5), 2);
  r.flows.finish();
  const auto ends = r.of(FlowAction::end);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].event.dest_ip.to_string(), "ff02::fb");
  EXPECT_EQ(ends[1].event.packet_count, 2u);
  EXPECT_EQ(ends[1].event.out_bytes, 10u);  // one endpoint: everything counts as sent
}

// Messages: the payload of a capture through the live tracer's conversation code.
struct MessageReplay {
  explicit MessageReplay(MessagesMode mode = MessagesMode::first)
      : ndpi(NdpiEngine::create(nullptr)),
        settings{.options = ContentOptions{.messages = mode}, .ndpi = ndpi.get()},
        replay(ReplayOptions{.conversations = &settings}) {}
  std::unique_ptr<NdpiEngine> ndpi;
  ConversationSettings settings;
  Replay replay;
};

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr std::string_view kRequest =
    "GET /index.html HTTP/1.1\r\nHost: web.test\r\nAuthorization: Basic c2VjcmV0\r\n\r\n";
constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

// A keep-alive HTTP connection with `requests` request/response pairs, then a close.
void add_http_connection(Replay& r, int requests) {
  const auto req = static_cast<uint32_t>(kRequest.size());
  const auto resp = static_cast<uint32_t>(kResponse.size());
  r.add(tcp_packet(kClient, kServer, kSyn, 100, 0), 0);
  r.add(tcp_packet(kServer, kClient, kSyn | kAck, 500, 101), 1);
  r.add(tcp_packet(kClient, kServer, kAck, 101, 501), 2);
  uint32_t c = 101, s = 501;
  uint64_t t = 1000;
  for (int i = 0; i < requests; i++) {
    r.add(tcp_packet(kClient, kServer, kPsh | kAck, c, s, req, bytes_of(kRequest)), t);
    // A retransmission of the request: not a message of its own.
    r.add(tcp_packet(kClient, kServer, kPsh | kAck, c, s, req, bytes_of(kRequest)), t + 10);
    c += req;
    r.add(tcp_packet(kServer, kClient, kPsh | kAck, s, c, resp, bytes_of(kResponse)), t + 20);
    s += resp;
    t += 1000;
  }
  r.add(tcp_packet(kClient, kServer, kFin | kAck, c, s), t);
  r.add(tcp_packet(kServer, kClient, kFin | kAck, s, c + 1), t + 1);
  r.add(tcp_packet(kClient, kServer, kAck, c + 1, s + 1), t + 2);
}

TEST(ReplayFlowsTest, HttpMessagesWithProtocolAndRedaction) {
  MessageReplay m;
  ASSERT_NE(m.ndpi, nullptr);
  add_http_connection(m.replay, 1);
  const auto messages = m.replay.of(FlowAction::message);
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(m.replay.events.back().event.action, FlowAction::end);  // messages come before it
  EXPECT_EQ(m.replay.flows.stats().messages, 2u);

  const FlowEvent& request = messages[0].event;
  EXPECT_EQ(request.message_direction, MessageDirection::out);
  EXPECT_EQ(request.content_source, ContentSource::wire);
  EXPECT_EQ(request.application_protocol, "HTTP");
  EXPECT_EQ(request.timestamp_us, kT0 + 1000);
  EXPECT_EQ(request.proto_info, "method=GET; target=/index.html; version=HTTP/1.1; host=web.test");
  EXPECT_NE(request.content.find("Authorization: [redacted]"), std::string::npos);
  EXPECT_EQ(request.content.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(request.out_bytes, kRequest.size());  // the retransmission is not counted twice
  EXPECT_EQ(request.src_port, 40000);

  const FlowEvent& response = messages[1].event;
  EXPECT_EQ(response.message_direction, MessageDirection::in);
  EXPECT_EQ(response.proto_info, "version=HTTP/1.1; status=200; reason=OK");
  EXPECT_EQ(response.in_bytes, kResponse.size());

  const FlowEvent& end = m.replay.events.back().event;
  EXPECT_EQ(end.application_protocol, "HTTP");
  // No DNS answer named the server: the request's Host does.
  EXPECT_EQ(end.dest_fqdn, "web.test");
  EXPECT_EQ(end.dest_fqdn_source, NameSource::http_host);
}

TEST(ReplayFlowsTest, MessagesAllGivesEveryTurn) {
  MessageReplay m(MessagesMode::all);
  add_http_connection(m.replay, 2);
  const auto messages = m.replay.of(FlowAction::message);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[2].event.message_direction, MessageDirection::out);
  EXPECT_EQ(messages[2].event.out_bytes, 2 * kRequest.size());
  EXPECT_EQ(messages[3].event.in_bytes, 2 * kResponse.size());
}

TEST(ReplayFlowsTest, TlsClientHelloNamesTheServer) {
  MessageReplay m;
  const test::TlsExchange tls = test::tls_exchange({.sni = "shop.example.test", .alpn = {"h2"}});
  constexpr Endpoint kHttps{"10.0.0.2", 443};
  Replay& r = m.replay;
  r.add(tcp_packet(kClient, kHttps, kSyn, 100, 0), 0);
  r.add(tcp_packet(kHttps, kClient, kSyn | kAck, 500, 101), 1);
  const auto hello = static_cast<uint32_t>(tls.client_hello.size());
  r.add(tcp_packet(kClient, kHttps, kPsh | kAck, 101, 501, hello, tls.client_hello), 2);
  const auto reply = static_cast<uint32_t>(tls.server_hello.size());
  r.add(tcp_packet(kHttps, kClient, kPsh | kAck, 501, 101 + hello, reply, tls.server_hello), 3);
  r.flows.finish();

  const auto messages = r.of(FlowAction::message);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].event.application_protocol, "TLS");
  EXPECT_NE(messages[0].event.proto_info.find("sni=shop.example.test"), std::string::npos)
      << messages[0].event.proto_info;
  const FlowEvent& end = r.events.back().event;
  EXPECT_EQ(end.dest_fqdn, "shop.example.test");
  EXPECT_EQ(end.dest_fqdn_source, NameSource::tls_sni);
}

TEST(ReplayFlowsTest, NoMessagesWithoutConversationSettings) {
  Replay r;
  add_http_connection(r, 1);
  EXPECT_TRUE(r.of(FlowAction::message).empty());
  EXPECT_EQ(r.events.back().event.application_protocol, "");
}

}  // namespace
}  // namespace procflow
