// Checks the terminal line format: column alignment across events of different widths, the
// header, the `end` details, and that hostile names cannot break or control the terminal.
#include "output/text_formatter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace procflow {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::string line_of(const FlowEvent& e) {
  std::string out;
  append_text_line(e, out);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  if (out.size() >= 2) {
    EXPECT_NE(out[out.size() - 2], ' ') << "trailing blank: " << out;
  }
  return out;
}

// Byte offset of `token` in `line` (all test data is ASCII, so bytes are columns).
size_t at(const std::string& line, const std::string& token) {
  const size_t pos = line.find(token);
  EXPECT_NE(pos, std::string::npos) << "'" << token << "' not in: " << line;
  return pos;
}

FlowEvent short_event() {
  FlowEvent e;
  e.action = FlowAction::end;
  e.timestamp_us = 1795842611123456;  // 05:10:11.123 UTC
  e.pid = 7;
  e.exe = "nc";
  e.src_ip = ip("1.2.3.4");
  e.src_port = 5;
  e.dest_ip = ip("5.6.7.8");
  e.dest_port = 9;
  e.transport = ip_proto_udp;
  e.in_bytes = 1;
  e.out_bytes = 2;
  e.packet_count = 3;
  e.start_time_us = 1795842611000000;
  e.end_time_us = 1795842611500000;
  e.end_reason = EndReason::timeout;
  return e;
}

FlowEvent wide_event() {
  FlowEvent e;
  e.action = FlowAction::end;
  e.timestamp_us = 1795842611999000;
  e.pid = 1234567;
  e.exe = "a-long-exe-name";
  e.src_ip = ip("255.255.255.255");
  e.src_port = 65535;
  e.dest_ip = ip("100.100.100.100");
  e.dest_port = 44444;
  e.transport = ip_proto_tcp;
  e.in_bytes = 123;
  e.out_bytes = 456;
  e.packet_count = 9;
  e.tcp_flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::fin;
  e.start_time_us = 1795842600000000;
  e.end_time_us = 1795842611234000;
  e.end_reason = EndReason::tracer_stop;
  return e;
}

TEST(TextFormatter, ColumnsAlignAcrossWidths) {
  const std::string a = line_of(short_event());
  const std::string b = line_of(wide_event());
  EXPECT_EQ(at(a, "end"), at(b, "end"));
  EXPECT_EQ(at(a, "7/nc"), at(b, "1234567/a-long-exe-name"));
  EXPECT_EQ(at(a, "UDP"), at(b, "TCP"));
  EXPECT_EQ(at(a, "1.2.3.4:5"), at(b, "255.255.255.255:65535"));
  EXPECT_EQ(at(a, "->"), at(b, "->"));
  EXPECT_EQ(at(a, "5.6.7.8:9"), at(b, "100.100.100.100:44444"));
  EXPECT_EQ(at(a, "in="), at(b, "in="));
  EXPECT_EQ(at(a, "out="), at(b, "out="));
  EXPECT_EQ(at(a, "pkts="), at(b, "pkts="));
  EXPECT_EQ(at(a, "dur="), at(b, "dur="));
  EXPECT_EQ(at(a, "reason="), at(b, "reason="));
}

TEST(TextFormatter, HeaderNamesTheColumns) {
  const std::string h = text_header();
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.back(), '\n');
  EXPECT_EQ(std::count(h.begin(), h.end(), '\n'), 1);
  const std::string l = line_of(wide_event());
  EXPECT_EQ(at(h, "TIME"), 0u);
  EXPECT_EQ(at(l, "05:10:11.999Z"), 0u);
  EXPECT_EQ(at(h, "ACTION"), at(l, "end"));
  EXPECT_EQ(at(h, "PID/EXE"), at(l, "1234567/"));
  EXPECT_EQ(at(h, "PROTO"), at(l, "TCP"));
  EXPECT_EQ(at(h, "SOURCE"), at(l, "255.255.255.255:65535"));
  EXPECT_EQ(at(h, "DESTINATION"), at(l, "100.100.100.100:44444"));
  EXPECT_EQ(at(h, "DETAILS"), at(l, "in="));
}

TEST(TextFormatter, EndDetails) {
  const std::string l = line_of(wide_event());
  EXPECT_EQ(l.rfind("05:10:11.999Z end", 0), 0u) << l;
  EXPECT_NE(l.find("in=123B "), std::string::npos) << l;
  EXPECT_NE(l.find("out=456B "), std::string::npos) << l;
  EXPECT_NE(l.find("pkts=9 "), std::string::npos) << l;
  EXPECT_NE(l.find("dur=11.234s "), std::string::npos) << l;
  EXPECT_NE(l.find("reason=tracer_stop "), std::string::npos) << l;
  EXPECT_NE(l.find("flags=SYN,ACK,FIN\n"), std::string::npos) << l;
}

TEST(TextFormatter, StartLineHasNoCounters) {
  FlowEvent e = wide_event();
  e.action = FlowAction::start;
  const std::string l = line_of(e);
  EXPECT_NE(l.find(" start "), std::string::npos) << l;
  EXPECT_EQ(l.find("in="), std::string::npos) << l;
  EXPECT_EQ(l.find("reason="), std::string::npos) << l;
  EXPECT_NE(l.find("100.100.100.100:44444\n"), std::string::npos) << l;
}

TEST(TextFormatter, UnknownCountersLeaveTheirColumnsBlank) {
  FlowEvent a = wide_event();
  FlowEvent b = wide_event();
  b.in_bytes.reset();
  b.packet_count.reset();
  const std::string la = line_of(a), lb = line_of(b);
  EXPECT_EQ(lb.find("in="), std::string::npos);
  EXPECT_EQ(lb.find("pkts="), std::string::npos);
  EXPECT_EQ(at(la, "out="), at(lb, "out="));
  EXPECT_EQ(at(la, "dur="), at(lb, "dur="));
}

TEST(TextFormatter, ByteUnits) {
  struct Case {
    uint64_t bytes;
    const char* text;
  };
  const Case cases[] = {
      {0, "in=0B "},           {1023, "in=1023B "},        {1024, "in=1.0KiB "},
      {13200, "in=12.8KiB "},  {102399, "in=99.9KiB "},    {1048575, "in=1023KiB "},
      {1048576, "in=1.0MiB "}, {5ULL << 40, "in=5.0TiB "}, {~0ULL, "in=15.9EiB "}};
  for (const auto& c : cases) {
    FlowEvent e = wide_event();
    e.in_bytes = c.bytes;
    EXPECT_NE(line_of(e).find(c.text), std::string::npos) << c.bytes << ": " << line_of(e);
  }
}

TEST(TextFormatter, Durations) {
  struct Case {
    uint64_t us;
    const char* text;
  };
  const Case cases[] = {{0, "dur=0.000s "},          {1234, "dur=0.001s "},
                        {59999999, "dur=59.999s "},  {60000000, "dur=1m00s "},
                        {3599000000, "dur=59m59s "}, {3600000000, "dur=1h00m "},
                        {90061000000, "dur=25h01m "}};
  for (const auto& c : cases) {
    FlowEvent e = wide_event();
    e.start_time_us = 1000;
    e.end_time_us = 1000 + c.us;
    EXPECT_NE(line_of(e).find(c.text), std::string::npos) << c.us << ": " << line_of(e);
  }
  FlowEvent backwards = wide_event();
  backwards.start_time_us = 2000;
  backwards.end_time_us = 1000;
  EXPECT_EQ(line_of(backwards).find("dur="), std::string::npos);
}

TEST(TextFormatter, Ipv6InBrackets) {
  FlowEvent e;
  e.timestamp_us = 0;
  e.pid = 42;
  e.exe = "ssh";
  e.src_ip = ip("2001:db8::1");
  e.src_port = 50000;
  e.dest_ip = ip("2001:db8::22");
  e.dest_port = 22;
  const std::string l = line_of(e);
  EXPECT_EQ(l.rfind("00:00:00.000Z start", 0), 0u) << l;
  EXPECT_NE(l.find("[2001:db8::1]:50000"), std::string::npos) << l;
  EXPECT_NE(l.find("-> [2001:db8::22]:22\n"), std::string::npos) << l;
  // Still in the same columns as an IPv4 line.
  const std::string v4 = line_of(short_event());
  EXPECT_EQ(at(l, "[2001:db8::1]"), at(v4, "1.2.3.4"));
  EXPECT_EQ(at(l, "->"), at(v4, "->"));
}

TEST(TextFormatter, OverflowRealignsLater) {
  FlowEvent e = wide_event();
  e.src_ip = ip("2001:db8::1234:5678");  // "[2001:db8::1234:5678]:65535" is wider than the column
  const std::string l = line_of(e);
  const std::string ref = line_of(wide_event());
  EXPECT_EQ(at(l, "TCP"), at(ref, "TCP"));
  EXPECT_EQ(at(l, "[2001:db8::1234"), at(ref, "255.255"));
  EXPECT_GT(at(l, "->"), at(ref, "->"));  // pushed right, but kept apart by a space
  EXPECT_EQ(l[at(l, "->") - 1], ' ');
  EXPECT_GT(at(l, "in="), at(ref, "in="));
  EXPECT_EQ(at(l, "pkts="), at(ref, "pkts="));  // and realigned once there is room
  EXPECT_EQ(at(l, "reason="), at(ref, "reason="));
}

TEST(TextFormatter, FqdnReplacesIp) {
  FlowEvent e = short_event();
  e.dest_fqdn = "example.com";
  e.transport = ip_proto_tcp;
  e.dest_port = 443;
  const std::string l = line_of(e);
  EXPECT_NE(l.find("-> example.com:443 "), std::string::npos) << l;
  EXPECT_NE(l.find(" dest_ip=5.6.7.8"), std::string::npos) << l;
  EXPECT_EQ(l.find("src_ip="), std::string::npos) << l;
}

TEST(TextFormatter, MissingProcessAndAddresses) {
  FlowEvent e;
  e.transport = 47;
  const std::string l = line_of(e);
  const std::string h = text_header();
  EXPECT_EQ(l.substr(at(h, "PID/EXE"), 2), "- ");
  EXPECT_EQ(l.substr(at(h, "PROTO"), 5), "ip47 ");
  EXPECT_NE(l.find("? "), std::string::npos) << l;
  EXPECT_NE(l.find("-> ?\n"), std::string::npos) << l;

  FlowEvent comm_only;
  comm_only.comm = "kworker/0:1";
  EXPECT_NE(line_of(comm_only).find(" -/kworker/0:1 "), std::string::npos);
}

TEST(TextFormatter, MessageShowsProtocolInfo) {
  FlowEvent e = short_event();
  e.action = FlowAction::message;
  e.application_protocol = "DNS";
  e.proto_info = "DNS A example.com";
  const std::string l = line_of(e);
  EXPECT_NE(l.find(" message "), std::string::npos) << l;
  EXPECT_NE(l.find(" app=DNS "), std::string::npos) << l;
  EXPECT_NE(l.find(" info=DNS A example.com\n"), std::string::npos) << l;
  EXPECT_EQ(l.find("in="), std::string::npos) << l;

  e.message_direction = MessageDirection::in;
  e.content_source = ContentSource::tls_plaintext;
  EXPECT_NE(line_of(e).find(" msg=in,tls info=DNS A example.com\n"), std::string::npos)
      << line_of(e);

  e.proto_info.clear();
  e.content = std::string(200, 'x');
  const std::string cut = line_of(e);
  EXPECT_NE(cut.find(" info=" + std::string(80, 'x') + "...\n"), std::string::npos) << cut;
}

TEST(TextFormatter, HostileNamesCannotControlTheTerminal) {
  FlowEvent e = short_event();
  e.exe =
      "evil\n\r\x1b[2J\x07\x7f\xC2\x9B"
      "31m\xFF\xE2\x80\xAE"
      "gpj.exe";
  e.dest_fqdn = std::string("x\ny") + '\0' + "z";
  const std::string l = line_of(e);  // checks: exactly one '\n', at the end
  for (char c : l.substr(0, l.size() - 1)) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7f && u < 0x80) << "byte " << int(u) << " in " << l;
  }
  EXPECT_NE(l.find("7/evil???[2J???31m??gpj.exe "), std::string::npos) << l;
  EXPECT_NE(l.find("-> x?y?z:9 "), std::string::npos) << l;
}

TEST(TextFormatter, Utf8NamesKeepAlignment) {
  FlowEvent a = short_event();
  a.exe = "caf\xC3\xA9";  // café: 5 bytes, 4 columns
  FlowEvent b = short_event();
  b.exe = "cafe";
  const std::string la = line_of(a), lb = line_of(b);
  EXPECT_NE(la.find("7/caf\xC3\xA9 "), std::string::npos) << la;
  // One more byte before the protocol column, same display column.
  EXPECT_EQ(at(la, "UDP"), at(lb, "UDP") + 1);
}

TEST(TextFormatter, AppendsToExistingOutput) {
  std::string out = text_header();
  const size_t header = out.size();
  append_text_line(short_event(), out);
  append_text_line(wide_event(), out);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  // Columns are measured from the start of each line, not of the buffer.
  const size_t second = out.find('\n', header) + 1;
  EXPECT_EQ(out.find("UDP", header) - header, out.find("TCP", second) - second);
}

}  // namespace
}  // namespace procflow
