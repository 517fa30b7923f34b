// The serializer writes its lines by hand for speed, but the bytes must stay those RapidJSON's
// Writer produced when it wrote them: same escapes, same U+FFFD repairs, same numbers, same
// member order. Checked two ways, on a fixed seed so a failure reproduces:
//   - each string against RapidJSON writing the repaired string (the previous serializer);
//   - each whole line against RapidJSON re-writing the line it parsed, which is canonical.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "output/json_serializer.h"
#include "output/json_string.h"

namespace procflow {
namespace {

// What the serializer did before it wrote strings itself: each byte that does not start a
// well-formed UTF-8 sequence replaced by U+FFFD (RFC 3629), then RapidJSON's String().
size_t reference_sequence_length(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string reference_json_string(std::string_view v) {
  std::string repaired;
  const auto* s = reinterpret_cast<const unsigned char*>(v.data());
  for (size_t i = 0; i < v.size();) {
    const size_t len = reference_sequence_length(s + i, v.size() - i);
    if (len == 0) {
      repaired += "\xEF\xBF\xBD";
      ++i;
    } else {
      repaired.append(v.data() + i, len);
      i += len;
    }
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string json_string(std::string_view v) {
  std::string out(json_string_bound(v.size()), '\0');
  out.resize(static_cast<size_t>(write_json_string(out.data(), v) - out.data()));
  return out;
}

// Strings made of the pieces that matter: plain ASCII runs (the 8-byte fast path), quotes,
// backslashes, control characters, well-formed 2-, 3- and 4-byte sequences, and stray,
// truncated, overlong and surrogate bytes.
std::string random_string(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {
      "a",
      "plain",
      "/usr/lib/x86_64-linux-gnu/",
      "\"",
      "\\",
      std::string(1, '\0'),
      "\x01",
      "\x1f",
      "\n",
      "\t",
      "\x7f",
      "\xc3\xa9",
      "\xe2\x82\xac",
      "\xf0\x9f\x98\x80",
      "\x80",
      "\xbf",
      "\xc3",
      "\xe2\x82",
      "\xf0\x9f\x98",
      "\xc0\xaf",
      "\xe0\x80\xaf",
      "\xed\xa0\x80",
      "\xf4\x90\x80\x80",
      "\xf5",
      "\xff",
      " ",
  };
  std::uniform_int_distribution<size_t> count(0, 12), pick(0, pieces.size() - 1), byte(0, 255);
  std::string s;
  for (size_t n = count(rng); n > 0; --n) {
    if (n % 5 == 0)
      s.push_back(static_cast<char>(byte(rng)));
    else
      s += pieces[pick(rng)];
  }
  return s;
}

TEST(JsonRapidJsonEquivalence, EveryByteAloneAndInText) {
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(json_string(one), reference_json_string(one)) << "byte " << b;
    const std::string in_text = "0123456789" + one + "abcdefghijklmnop";
    EXPECT_EQ(json_string(in_text), reference_json_string(in_text)) << "byte " << b;
  }
}

TEST(JsonRapidJsonEquivalence, RandomStrings) {
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 200'000; ++i) {
    const std::string s = random_string(rng);
    ASSERT_EQ(json_string(s), reference_json_string(s)) << "case " << i;
  }
}

std::optional<uint64_t> maybe(std::mt19937_64& rng, uint64_t value) {
  if (rng() % 3 == 0) return std::nullopt;
  return value;
}

FlowEvent random_event(std::mt19937_64& rng) {
  FlowEvent e;
  e.action = static_cast<FlowAction>(rng() % 3);
  e.timestamp_us = rng() % 4'000'000'000'000'000ull;
  const bool v6 = rng() % 2;
  uint8_t bytes[16];
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  if (rng() % 4) e.src_ip = v6 ? IpAddress::v6(bytes) : IpAddress::v4(bytes);
  if (rng() % 4) e.dest_ip = v6 ? IpAddress::v4(bytes + 4) : IpAddress::v6(bytes);
  e.src_port = static_cast<uint16_t>(rng());
  e.dest_port = static_cast<uint16_t>(rng() % 3 ? rng() : 0);
  static const uint8_t transports[] = {ip_proto_tcp, ip_proto_udp, 1, 58, 132, 33, 136, 99};
  e.transport = transports[rng() % std::size(transports)];
  for (std::string* s : {&e.src_fqdn,
                         &e.src_hostname,
                         &e.dest_fqdn,
                         &e.dest_hostname,
                         &e.src_fqdn_conflict,
                         &e.dest_fqdn_conflict,
                         &e.user,
                         &e.exe,
                         &e.image_path,
                         &e.comm,
                         &e.hostname,
                         &e.fqdn,
                         &e.community_id,
                         &e.application_protocol,
                         &e.content,
                         &e.proto_info,
                         &e.container_id,
                         &e.container_runtime,
                         &e.container_name,
                         &e.pod_uid,
                         &e.pod_name,
                         &e.pod_namespace,
                         &e.interface,
                         &e.src_canonical,
                         &e.dest_canonical})
    *s = random_string(rng);
  e.src_fqdn_source = static_cast<NameSource>(rng() % 7);
  e.dest_fqdn_source = static_cast<NameSource>(rng() % 7);
  if (rng() % 2) e.pid = static_cast<uint32_t>(rng());
  if (rng() % 2) e.ppid = static_cast<uint32_t>(rng());
  if (rng() % 2) e.uid = static_cast<uint32_t>(rng());
  e.image_deleted = rng() % 2;
  e.image_memfd = rng() % 2;
  e.image_truncated = rng() % 2;
  e.in_bytes = maybe(rng, rng());
  e.out_bytes = maybe(rng, rng() % 1000);
  e.packet_count = maybe(rng, rng() % 2 ? 0 : rng());
  e.tcp_flags = static_cast<uint8_t>(rng() % 2 ? rng() : 0);
  e.start_time_us = maybe(rng, rng() % 300'000'000'000'000'000ull);  // past year 9999 too
  e.end_time_us = maybe(rng, rng() % 2'000'000'000'000'000ull);
  e.network_direction = static_cast<NetworkDirection>(rng() % 5);
  if (rng() % 2) e.initiated = rng() % 2 == 0;
  if (rng() % 2) e.snapshot = rng() % 2 == 0;
  e.end_reason = static_cast<EndReason>(rng() % 6);
  e.netns = maybe(rng, rng());
  e.cgroup_id = maybe(rng, rng());
  if (rng() % 2) e.container_pid = static_cast<uint32_t>(rng());
  return e;
}

TEST(JsonRapidJsonEquivalence, RandomLinesAreCanonicalRapidJson) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    std::string line;
    append_json_line(random_event(rng), line);
    ASSERT_FALSE(line.empty());
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
    ASSERT_FALSE(doc.HasParseError()) << line;
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc.Accept(writer);
    ASSERT_EQ(std::string_view(buffer.GetString(), buffer.GetSize()), line) << "case " << i;
  }
}

// Timestamps are formatted from a per-second cache: whatever order instants come in (same
// second, same day, far apart, backwards), each must read as gmtime() reads it.
TEST(JsonRapidJsonEquivalence, TimestampsAgreeWithGmtime) {
  std::mt19937_64 rng(3);
  uint64_t t = 1'700'000'000'000'000ull;
  for (int i = 0; i < 100'000; ++i) {
    switch (rng() % 4) {
      case 0:
        t += rng() % 1'000'000;
        break;  // often the same second
      case 1:
        t += rng() % 100'000'000'000ull;
        break;  // a later day
      case 2:
        t -= rng() % 5'000'000;
        break;  // a little back
      default:
        t = rng() % 253'402'300'800'000'000ull;
        break;  // anywhere up to 9999
    }
    char got[rfc3339_us_length];
    write_rfc3339_us(t, got);
    const time_t seconds = static_cast<time_t>(t / 1'000'000);
    tm parts{};
    ASSERT_NE(gmtime_r(&seconds, &parts), nullptr);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<unsigned>(t % 1'000'000));
    ASSERT_EQ(std::string_view(got, rfc3339_us_length), expected) << t;
  }
}

}  // namespace
}  // namespace procflow
