// Checks the JSON-lines contract: exact keys and types, omission of unknown values, escaping of
// hostile strings and RFC 3339 timestamps, by parsing the output back with RapidJSON.
#include "output/json_serializer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace procflow {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

// Serializes `e`, checks it is exactly one line of valid UTF-8 JSON, and parses it.
rapidjson::Document serialize(const FlowEvent& e, std::string* line_out = nullptr) {
  std::string line;
  append_json_line(e, line);
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size() - 1);
  EXPECT_FALSE(doc.HasParseError()) << line;
  EXPECT_TRUE(doc.IsObject()) << line;
  if (line_out) *line_out = line;
  return doc;
}

std::vector<std::string> keys_of(const rapidjson::Document& doc) {
  std::vector<std::string> keys;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it)
    keys.emplace_back(it->name.GetString());
  return keys;
}

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

FlowEvent full_event() {
  FlowEvent e;
  e.action = FlowAction::end;
  e.timestamp_us = 1795842611123456;  // 2026-11-28T05:10:11.123456Z
  e.src_ip = ip("10.0.0.54");
  e.dest_ip = ip("192.168.1.5");
  e.src_port = 50438;
  e.dest_port = 443;
  e.transport = ip_proto_tcp;
  e.src_fqdn = "ws1.example.com";
  e.src_hostname = "ws1";
  e.dest_fqdn = "db1.example.com";
  e.dest_hostname = "db1";
  e.pid = 738;
  e.ppid = 1860;
  e.uid = 1000;
  e.user = "alice";
  e.exe = "curl";
  e.image_path = "/usr/bin/curl";
  e.comm = "curl";
  e.hostname = "node1";
  e.fqdn = "node1.example.com";
  e.in_bytes = 13200;
  e.out_bytes = 1337;
  e.packet_count = 4;
  e.tcp_flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::psh | tcp_flag::fin;
  e.start_time_us = 1795842610000000;
  e.end_time_us = 1795842611123456;
  e.network_direction = NetworkDirection::out;
  e.community_id = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
  e.initiated = true;
  e.end_reason = EndReason::close;
  e.application_protocol = "HTTP";
  e.content = "GET /index.html HTTP/1.1";
  e.proto_info = "HTTP GET /index.html Host: db1.example.com";
  e.netns = 4026531840;
  e.cgroup_id = 1234567890123;
  e.container_id = "3f4e5d6c7b8a";
  e.container_runtime = "containerd";
  e.container_name = "web";
  e.container_pid = 7;
  e.pod_uid = "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b";
  e.pod_name = "web-7d9f";
  e.pod_namespace = "shop";
  e.interface = "eth0";
  return e;
}

TEST(JsonSerializer, FullEventHasExactValuesAndTypes) {
  const auto doc = serialize(full_event());

  const std::set<std::string> expected = {"object",
                                          "action",
                                          "timestamp",
                                          "src_ip",
                                          "src_port",
                                          "dest_ip",
                                          "dest_port",
                                          "transport_protocol",
                                          "src_fqdn",
                                          "src_hostname",
                                          "dest_fqdn",
                                          "dest_hostname",
                                          "pid",
                                          "ppid",
                                          "uid",
                                          "user",
                                          "exe",
                                          "image_path",
                                          "hostname",
                                          "fqdn",
                                          "in_bytes",
                                          "out_bytes",
                                          "packet_count",
                                          "tcp_flags",
                                          "start_time",
                                          "end_time",
                                          "network_direction",
                                          "application_protocol",
                                          "proto_info",
                                          "content",
                                          "community_id",
                                          "initiated",
                                          "end_reason",
                                          "netns",
                                          "cgroup_id",
                                          "container_id",
                                          "container_runtime",
                                          "container_name",
                                          "container_pid",
                                          "pod_uid",
                                          "pod_name",
                                          "pod_namespace",
                                          "interface",
                                          "comm"};
  const auto keys = keys_of(doc);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()), expected);
  EXPECT_EQ(keys.size(), expected.size()) << "duplicate keys";
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "object");
  EXPECT_EQ(keys[1], "action");
  EXPECT_EQ(keys[2], "timestamp");

  EXPECT_EQ(str(doc["object"]), "flow");
  EXPECT_EQ(str(doc["action"]), "end");
  EXPECT_EQ(str(doc["timestamp"]), "2026-11-28T05:10:11.123456Z");
  EXPECT_EQ(str(doc["src_ip"]), "10.0.0.54");
  EXPECT_EQ(str(doc["dest_ip"]), "192.168.1.5");
  EXPECT_EQ(str(doc["transport_protocol"]), "TCP");
  EXPECT_EQ(str(doc["src_fqdn"]), "ws1.example.com");
  EXPECT_EQ(str(doc["src_hostname"]), "ws1");
  EXPECT_EQ(str(doc["dest_fqdn"]), "db1.example.com");
  EXPECT_EQ(str(doc["dest_hostname"]), "db1");
  EXPECT_EQ(str(doc["user"]), "alice");
  EXPECT_EQ(str(doc["exe"]), "curl");
  EXPECT_EQ(str(doc["image_path"]), "/usr/bin/curl");
  EXPECT_EQ(str(doc["hostname"]), "node1");
  EXPECT_EQ(str(doc["fqdn"]), "node1.example.com");
  EXPECT_EQ(str(doc["tcp_flags"]), "SYN, ACK, PSH, FIN");
  EXPECT_EQ(str(doc["start_time"]), "2026-11-28T05:10:10.000000Z");
  EXPECT_EQ(str(doc["end_time"]), "2026-11-28T05:10:11.123456Z");
  EXPECT_EQ(str(doc["network_direction"]), "out");
  EXPECT_EQ(str(doc["application_protocol"]), "HTTP");
  EXPECT_EQ(str(doc["content"]), "GET /index.html HTTP/1.1");
  EXPECT_EQ(str(doc["proto_info"]), "HTTP GET /index.html Host: db1.example.com");
  EXPECT_EQ(str(doc["community_id"]), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(str(doc["end_reason"]), "close");
  EXPECT_EQ(str(doc["container_id"]), "3f4e5d6c7b8a");
  EXPECT_EQ(str(doc["container_runtime"]), "containerd");
  EXPECT_EQ(str(doc["container_name"]), "web");
  EXPECT_EQ(str(doc["pod_uid"]), "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b");
  EXPECT_EQ(str(doc["pod_name"]), "web-7d9f");
  EXPECT_EQ(str(doc["pod_namespace"]), "shop");
  EXPECT_EQ(str(doc["interface"]), "eth0");
  EXPECT_EQ(str(doc["comm"]), "curl");

  // Integers are JSON integers, not strings or doubles.
  for (const char* k : {"src_port", "dest_port", "pid", "ppid", "uid", "in_bytes", "out_bytes",
                        "packet_count", "netns", "cgroup_id", "container_pid"}) {
    EXPECT_TRUE(doc[k].IsUint64()) << k;
    EXPECT_FALSE(doc[k].IsDouble()) << k;
  }
  EXPECT_EQ(doc["src_port"].GetUint64(), 50438u);
  EXPECT_EQ(doc["dest_port"].GetUint64(), 443u);
  EXPECT_EQ(doc["pid"].GetUint64(), 738u);
  EXPECT_EQ(doc["ppid"].GetUint64(), 1860u);
  EXPECT_EQ(doc["uid"].GetUint64(), 1000u);
  EXPECT_EQ(doc["in_bytes"].GetUint64(), 13200u);
  EXPECT_EQ(doc["out_bytes"].GetUint64(), 1337u);
  EXPECT_EQ(doc["packet_count"].GetUint64(), 4u);
  EXPECT_EQ(doc["netns"].GetUint64(), 4026531840u);
  EXPECT_EQ(doc["cgroup_id"].GetUint64(), 1234567890123u);
  EXPECT_EQ(doc["container_pid"].GetUint64(), 7u);
  ASSERT_TRUE(doc["initiated"].IsBool());
  EXPECT_TRUE(doc["initiated"].GetBool());
}

TEST(JsonSerializer, UnknownValuesAreOmitted) {
  FlowEvent e;
  e.action = FlowAction::start;
  e.timestamp_us = 0;
  const auto doc = serialize(e);
  // Only what a default event knows: that it is a TCP flow start at some instant.
  EXPECT_EQ(keys_of(doc),
            (std::vector<std::string>{"object", "action", "timestamp", "transport_protocol"}));
  EXPECT_EQ(str(doc["timestamp"]), "1970-01-01T00:00:00.000000Z");
}

// image_deleted/image_memfd/image_truncated are marks: written as true when
// set, absent otherwise, after comm.
TEST(JsonSerializer, ImageMarksOnlyWhenSet) {
  FlowEvent e;
  e.image_path = "/memfd:payload";
  e.exe = "memfd:payload";
  e.comm = "memfd:payload";
  EXPECT_FALSE(serialize(e).HasMember("image_deleted"));
  e.image_deleted = true;
  e.image_memfd = true;
  auto doc = serialize(e);
  auto keys = keys_of(doc);
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(keys.end() - 3, keys.end()),
            (std::vector<std::string>{"comm", "image_deleted", "image_memfd"}));
  EXPECT_TRUE(doc["image_deleted"].GetBool());
  EXPECT_TRUE(doc["image_memfd"].GetBool());
  e.image_truncated = true;
  EXPECT_TRUE(serialize(e)["image_truncated"].GetBool());
  e.clear();
  EXPECT_FALSE(serialize(e).HasMember("image_memfd"));
}

TEST(JsonSerializer, UnknownTransportIsOmitted) {
  FlowEvent e;
  e.transport = 47;  // GRE: no name
  const auto doc = serialize(e);
  EXPECT_FALSE(doc.HasMember("transport_protocol"));
}

TEST(JsonSerializer, KnownZeroAndFalseAreEmitted) {
  FlowEvent e;
  e.pid = 0;
  e.uid = 0;
  e.in_bytes = 0;
  e.initiated = false;
  const auto doc = serialize(e);
  ASSERT_TRUE(doc.HasMember("pid"));
  EXPECT_EQ(doc["pid"].GetUint64(), 0u);
  ASSERT_TRUE(doc.HasMember("uid"));
  EXPECT_EQ(doc["uid"].GetUint64(), 0u);
  ASSERT_TRUE(doc.HasMember("in_bytes"));
  EXPECT_EQ(doc["in_bytes"].GetUint64(), 0u);
  ASSERT_TRUE(doc["initiated"].IsBool());
  EXPECT_FALSE(doc["initiated"].GetBool());
  EXPECT_FALSE(doc.HasMember("ppid"));
  EXPECT_FALSE(doc.HasMember("out_bytes"));
  EXPECT_FALSE(doc.HasMember("tcp_flags"));
  EXPECT_FALSE(doc.HasMember("end_reason"));
  EXPECT_FALSE(doc.HasMember("network_direction"));
}

TEST(JsonSerializer, LargestCountersSurvive) {
  FlowEvent e;
  e.in_bytes = std::numeric_limits<uint64_t>::max();
  e.pid = std::numeric_limits<uint32_t>::max();
  const auto doc = serialize(e);
  ASSERT_TRUE(doc["in_bytes"].IsUint64());
  EXPECT_EQ(doc["in_bytes"].GetUint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(doc["pid"].GetUint64(), std::numeric_limits<uint32_t>::max());
}

TEST(JsonSerializer, PortsStandOnTheirOwn) {
  FlowEvent e;
  e.dest_ip = ip("192.0.2.1");
  e.src_port = 1234;  // a socket on the wildcard address: port known, address not
  e.dest_port = 53;
  e.transport = ip_proto_udp;
  const auto doc = serialize(e);
  EXPECT_FALSE(doc.HasMember("src_ip"));
  EXPECT_EQ(doc["src_port"].GetUint64(), 1234u);
  EXPECT_EQ(str(doc["dest_ip"]), "192.0.2.1");
  EXPECT_EQ(doc["dest_port"].GetUint64(), 53u);
  EXPECT_EQ(str(doc["transport_protocol"]), "UDP");
}

TEST(JsonSerializer, NoPortsForPortlessTransports) {
  FlowEvent e;
  e.src_ip = ip("192.0.2.1");
  e.dest_ip = ip("192.0.2.2");
  e.transport = 1;  // ICMP
  const auto doc = serialize(e);
  EXPECT_EQ(str(doc["transport_protocol"]), "ICMP");
  EXPECT_FALSE(doc.HasMember("src_port"));
  EXPECT_FALSE(doc.HasMember("dest_port"));
}

TEST(JsonSerializer, Ipv6Addresses) {
  FlowEvent e;
  e.src_ip = ip("2001:db8::1");
  e.dest_ip = ip("fe80::1:2:3:4");
  e.src_port = 40000;
  e.dest_port = 8443;
  const auto doc = serialize(e);
  EXPECT_EQ(str(doc["src_ip"]), "2001:db8::1");
  EXPECT_EQ(str(doc["dest_ip"]), "fe80::1:2:3:4");
  EXPECT_EQ(doc["src_port"].GetUint64(), 40000u);
  EXPECT_EQ(doc["dest_port"].GetUint64(), 8443u);
}

TEST(JsonSerializer, HostileStringsAreEscaped) {
  FlowEvent e;
  const std::string hostile = std::string("a\"b\\c\nd\re\tf") + '\0' + "g\x01\x1f\x7fh</script>";
  e.exe = hostile;
  e.content = "\"}, \"pid\": 1, \"x\": {\"";
  std::string line;
  const auto doc = serialize(e, &line);
  EXPECT_EQ(str(doc["exe"]), hostile);  // exact round trip, NUL included
  EXPECT_EQ(str(doc["content"]), e.content);
  EXPECT_FALSE(doc.HasMember("pid"));
  EXPECT_FALSE(doc.HasMember("x"));
  // No raw control characters in the output line.
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    EXPECT_GE(static_cast<unsigned char>(line[i]), 0x20u) << "at " << i << ": " << line;
  }
}

TEST(JsonSerializer, ValidUtf8IsKeptVerbatim) {
  FlowEvent e;
  e.user = "j\xC3\xA9r\xC3\xB4me";               // jérôme
  e.exe = "\xE6\x97\xA5\xE6\x9C\xAC";            // 日本
  e.comm = "\xF0\x9F\x98\x80 smile";             // U+1F600
  e.interface = "\xEF\xBF\xBF\xF4\x8F\xBF\xBF";  // U+FFFF, U+10FFFF
  const auto doc = serialize(e);
  EXPECT_EQ(str(doc["user"]), e.user);
  EXPECT_EQ(str(doc["exe"]), e.exe);
  EXPECT_EQ(str(doc["comm"]), e.comm);
  EXPECT_EQ(str(doc["interface"]), e.interface);
}

TEST(JsonSerializer, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"a\xFF"
       "b",
       "a" + fffd + "b"},                               // byte never valid
      {"\x80", fffd},                                   // stray continuation
      {"\xC0\x80", fffd + fffd},                        // overlong NUL
      {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong '/'
      {"\xED\xA0\x80", fffd + fffd + fffd},             // UTF-16 surrogate
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"x\xE2\x82", "x" + fffd + fffd},                 // truncated at the end
      {"\xE2\x82"
       "A",
       fffd + fffd + "A"},                      // truncated before ASCII
      {"ok\xC3\xA9\xC3", "ok\xC3\xA9" + fffd},  // valid then truncated
  };
  for (const auto& c : cases) {
    FlowEvent e;
    e.content = c.in;
    const auto doc = serialize(e);
    EXPECT_EQ(str(doc["content"]), c.out);
  }
}

TEST(JsonSerializer, TcpFlagsMatchTheCanonicalText) {
  for (unsigned flags = 0; flags < 256; ++flags) {
    FlowEvent e;
    e.tcp_flags = static_cast<uint8_t>(flags);
    const auto doc = serialize(e);
    if (flags == 0) {
      EXPECT_FALSE(doc.HasMember("tcp_flags"));
    } else {
      EXPECT_EQ(str(doc["tcp_flags"]), tcp_flags_to_string(static_cast<uint8_t>(flags)));
    }
  }
}

TEST(JsonSerializer, EnumsUseTheirNames) {
  const std::pair<EndReason, const char*> reasons[] = {{EndReason::close, "close"},
                                                       {EndReason::reset, "reset"},
                                                       {EndReason::timeout, "timeout"},
                                                       {EndReason::tracer_stop, "tracer_stop"}};
  for (const auto& [reason, name] : reasons) {
    FlowEvent e;
    e.end_reason = reason;
    EXPECT_EQ(str(serialize(e)["end_reason"]), name);
  }
  const std::pair<NetworkDirection, const char*> directions[] = {
      {NetworkDirection::in, "in"},
      {NetworkDirection::out, "out"},
      {NetworkDirection::internal, "internal"},
      {NetworkDirection::external, "external"}};
  for (const auto& [direction, name] : directions) {
    FlowEvent e;
    e.network_direction = direction;
    EXPECT_EQ(str(serialize(e)["network_direction"]), name);
  }
  FlowEvent e;
  e.action = FlowAction::message;
  EXPECT_EQ(str(serialize(e)["action"]), "message");
}

TEST(JsonSerializer, AppendsToExistingOutput) {
  std::string out = "previous\n";
  FlowEvent e;
  e.pid = 1;
  append_json_line(e, out);
  e.pid = 2;
  append_json_line(e, out);
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_EQ(out.rfind("previous\n", 0), 0u);
  const size_t first_end = out.find('\n', 9);
  rapidjson::Document a, b;
  a.Parse(out.data() + 9, first_end - 9);
  b.Parse(out.data() + first_end + 1, out.size() - first_end - 2);
  ASSERT_FALSE(a.HasParseError());
  ASSERT_FALSE(b.HasParseError());
  EXPECT_EQ(a["pid"].GetUint64(), 1u);
  EXPECT_EQ(b["pid"].GetUint64(), 2u);
}

TEST(JsonSerializer, ThreadsDoNotShareState) {
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &bad] {
      for (int i = 0; i < 2000; ++i) {
        FlowEvent e;
        e.pid = static_cast<uint32_t>(t * 100000 + i);
        e.exe = std::string(static_cast<size_t>(i % 50), static_cast<char>('a' + t));
        e.content = (i % 3 == 0) ? "bad\xFF" : "good";
        std::string line;
        append_json_line(e, line);
        rapidjson::Document doc;
        doc.Parse(line.data(), line.size() - 1);
        if (doc.HasParseError() || doc["pid"].GetUint64() != *e.pid) ++bad[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

TEST(JsonRfc3339, KnownInstants) {
  EXPECT_EQ(format_rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_rfc3339_us(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(format_rfc3339_us(951782400000000), "2000-02-29T00:00:00.000000Z");   // leap day
  EXPECT_EQ(format_rfc3339_us(1709251199999999), "2024-02-29T23:59:59.999999Z");  // leap day
  EXPECT_EQ(format_rfc3339_us(1709251200000000), "2024-03-01T00:00:00.000000Z");
  EXPECT_EQ(format_rfc3339_us(1700000000123456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(format_rfc3339_us(1795842611123456), "2026-11-28T05:10:11.123456Z");
  EXPECT_EQ(format_rfc3339_us(4107542399000000), "2100-02-28T23:59:59.000000Z");  // not leap
  EXPECT_EQ(format_rfc3339_us(4107542400000000), "2100-03-01T00:00:00.000000Z");
}

TEST(JsonRfc3339, ClampsBeyondYear9999) {
  EXPECT_EQ(format_rfc3339_us(253402300799999999), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339_us(std::numeric_limits<uint64_t>::max()), "9999-12-31T23:59:59.999999Z");
}

TEST(JsonRfc3339, WriteIntoBuffer) {
  char buf[rfc3339_us_length + 1];
  buf[rfc3339_us_length] = '#';
  write_rfc3339_us(86400000000 + 3723000004, buf);
  EXPECT_EQ(std::string(buf, rfc3339_us_length), "1970-01-02T01:02:03.000004Z");
  EXPECT_EQ(buf[rfc3339_us_length], '#');  // exactly rfc3339_us_length bytes written
}

}  // namespace
}  // namespace procflow
