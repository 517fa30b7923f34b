// Tests parse_dns_message / parse_dns_over_tcp: messages built with ldns (as
// a server would send them, with name compression), hand-made hostile byte
// arrays (pointer loops, absurd counts, truncation at every offset), and
// every DNS response in the vendored captures tests/fixtures/pcap/dns.
#include "dns/dns_message.h"

#include "ip_literal.h"

#include "dns_wire_builder.h"

// Before ldns, in a block of its own so include sorting keeps it first:
// without it ldns/common.h defines `true`, `false` and `bool` as macros in
// C++, which breaks standard headers included after it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace procflow {
namespace {

using test::Bytes;

using test::ip;

using test::MessageSpec;

Bytes build(const MessageSpec& spec) {
  return test::build_dns(spec);
}

// A typical CDN answer: a CNAME chain, then addresses of both families.
MessageSpec chain_spec() {
  MessageSpec spec;
  spec.question = "WWW.Example.COM. IN A";
  spec.answers = {
      "www.example.com. 300 IN CNAME edge.Example.NET.",
      "edge.example.net. 120 IN CNAME e1.cdn.example.org.",
      "e1.cdn.example.org. 20 IN A 192.0.2.10",
      "e1.cdn.example.org. 20 IN A 192.0.2.11",
      "e1.cdn.example.org. 20 IN AAAA 2001:db8::10",
  };
  return spec;
}

std::optional<DnsMessage> parse(const Bytes& wire, std::string* error = nullptr,
                                const DnsParseLimits& limits = {}) {
  return parse_dns_message(std::span<const uint8_t>(wire), error, limits);
}

TEST(DnsMessageTest, ParsesAResponse) {
  MessageSpec spec;
  spec.answers = {"www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.2"};
  std::string error;
  const auto m = parse(build(spec), &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->id, 0x4242);
  EXPECT_TRUE(m->is_response);
  EXPECT_EQ(m->opcode, 0);
  EXPECT_EQ(m->rcode, dns_rcode::noerror);
  EXPECT_EQ(m->question, "www.example.com");
  EXPECT_EQ(m->qtype, dns_type::a);
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].name, "www.example.com");
  EXPECT_EQ(m->answers[0].type, dns_type::a);
  EXPECT_EQ(m->answers[0].ttl, 300u);
  EXPECT_EQ(m->answers[0].address, ip("192.0.2.1"));
  EXPECT_EQ(m->answers[1].address, ip("192.0.2.2"));
  EXPECT_TRUE(m->answers[0].target.empty());
}

TEST(DnsMessageTest, ParsesAaaaResponse) {
  MessageSpec spec;
  spec.question = "v6.example.com. IN AAAA";
  spec.answers = {"v6.example.com. 60 IN AAAA 2001:db8::1"};
  const auto m = parse(build(spec));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->qtype, dns_type::aaaa);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].type, dns_type::aaaa);
  EXPECT_EQ(m->answers[0].address, ip("2001:db8::1"));
}

TEST(DnsMessageTest, CnameChainLowercasedWithoutTrailingDot) {
  const auto m = parse(build(chain_spec()));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->question, "www.example.com");
  ASSERT_EQ(m->answers.size(), 5u);
  EXPECT_EQ(m->answers[0].type, dns_type::cname);
  EXPECT_EQ(m->answers[0].name, "www.example.com");
  EXPECT_EQ(m->answers[0].target, "edge.example.net");
  EXPECT_EQ(m->answers[1].target, "e1.cdn.example.org");
  EXPECT_EQ(m->answers[2].name, "e1.cdn.example.org");
  EXPECT_EQ(m->answers[2].ttl, 20u);
  EXPECT_EQ(m->answers[4].address, ip("2001:db8::10"));
}

TEST(DnsMessageTest, NxdomainHasRcodeAndNoAnswers) {
  MessageSpec spec;
  spec.question = "nope.example.com. IN A";
  spec.rcode = LDNS_RCODE_NXDOMAIN;
  const auto m = parse(build(spec));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rcode, dns_rcode::nxdomain);
  EXPECT_TRUE(m->answers.empty());
}

TEST(DnsMessageTest, QueryIsNotAResponse) {
  MessageSpec spec;
  spec.response = false;
  const auto m = parse(build(spec));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->is_response);
  EXPECT_EQ(m->question, "www.example.com");
}

TEST(DnsMessageTest, KeepsOnlyAddressAndCnameRecordsOfClassIn) {
  MessageSpec spec;
  spec.question = "example.com. IN ANY";
  spec.answers = {"example.com. 60 IN MX 10 mail.example.com.",
                  "example.com. 60 IN TXT \"v=spf1 -all\"", "example.com. 60 IN A 192.0.2.7",
                  "example.com. 60 IN NS ns.example.com."};
  spec.additional = {"mail.example.com. 60 IN A 192.0.2.25"};  // additional: never an answer
  auto m = parse(build(spec));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].address, ip("192.0.2.7"));

  spec.answers = {"example.com. 60 CH A 192.0.2.7"};
  spec.additional.clear();
  m = parse(build(spec));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->answers.empty()) << "CHAOS class is not an address";
}

TEST(DnsMessageTest, MdnsCacheFlushClassAndNoQuestion) {
  MessageSpec spec;
  spec.question = "";
  spec.answers = {"printer.local. 120 IN A 192.168.1.50"};
  spec.answer_class = 0x8001;  // IN with the mDNS cache-flush bit
  std::string error;
  EXPECT_FALSE(parse(build(spec), &error));
  EXPECT_EQ(error, "no question");

  DnsParseLimits mdns;
  mdns.require_question = false;
  const auto m = parse(build(spec), &error, mdns);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->question, "");
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "printer.local");
  EXPECT_EQ(m->answers[0].address, ip("192.168.1.50"));
}

TEST(DnsMessageTest, TtlWithTopBitIsZero) {
  MessageSpec spec;
  spec.answers = {"www.example.com. 2147483648 IN A 192.0.2.1",
                  "www.example.com. 2147483647 IN A 192.0.2.2"};
  const auto m = parse(build(spec));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].ttl, 0u);
  EXPECT_EQ(m->answers[1].ttl, 2147483647u);
}

TEST(DnsMessageTest, CapsAnswersKept) {
  MessageSpec spec;
  for (int i = 0; i < 100; ++i) {
    spec.answers.push_back("www.example.com. 60 IN A 10.0.0." + std::to_string(i));
  }
  const Bytes wire = build(spec);
  auto m = parse(wire);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->answers.size(), 64u);
  EXPECT_EQ(m->answers[63].address, ip("10.0.0.63"));

  DnsParseLimits limits;
  limits.max_answers = 3;
  m = parse(wire, nullptr, limits);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answers.size(), 3u);
}

TEST(DnsMessageTest, CapsNameLength) {
  MessageSpec spec;
  spec.question = "a-rather-long-label.example.com. IN A";
  spec.answers = {"a-rather-long-label.example.com. 60 IN CNAME short.example.",
                  "short.example. 60 IN A 192.0.2.1"};
  DnsParseLimits limits;
  limits.max_name_length = 20;
  std::string error;
  EXPECT_FALSE(parse(build(spec), &error, limits));
  EXPECT_NE(error.find("question name"), std::string::npos) << error;

  spec.question = "short.example. IN A";
  const auto m = parse(build(spec), &error, limits);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->answers.size(), 1u) << "the record with the long owner is dropped";
  EXPECT_EQ(m->answers[0].name, "short.example");
}

TEST(DnsMessageTest, MaximalNamesParseUnderDefaultLimits) {
  // 4 labels of 63 + 1 of 1 = 254 wire bytes with the root: the DNS maximum.
  const std::string l63(63, 'x');
  const std::string name = l63 + "." + l63 + "." + l63 + "." + l63.substr(0, 61) + ".";
  MessageSpec spec;
  spec.question = name + " IN A";
  spec.answers = {name + " 60 IN A 192.0.2.1"};
  std::string error;
  const auto m = parse(build(spec), &error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->question.size(), name.size() - 1);
  EXPECT_EQ(m->answers.size(), 1u);
}

TEST(DnsMessageTest, RootQuestionIsEmptyName) {
  MessageSpec spec;
  spec.question = ". IN NS";
  const auto m = parse(build(spec));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->question, "");
}

TEST(DnsMessageTest, NamesPrintLikeLdnsForEveryByte) {
  // Every byte value in a label, in two questions (a name holds at most 255
  // bytes): our text must be ldns's own presentation form, lowercased and
  // without the trailing dot.
  DnsParseLimits lenient;
  lenient.max_name_length = 4 * LDNS_MAX_DOMAINLEN;
  for (int half = 0; half < 2; ++half) {
    std::vector<uint8_t> name;
    for (int first = half * 128; first < half * 128 + 128; first += 32) {
      name.push_back(32);
      for (int c = first; c < first + 32; ++c) name.push_back(static_cast<uint8_t>(c));
    }
    name.push_back(0);
    std::vector<uint8_t> wire = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    wire.insert(wire.end(), name.begin(), name.end());
    wire.insert(wire.end(), {0, 1, 0, 1});
    std::string error;
    const auto m = parse(wire, &error, lenient);
    ASSERT_TRUE(m) << error;

    ldns_rdf* rdf = ldns_dname_new_frm_data(static_cast<uint16_t>(name.size()), name.data());
    ASSERT_NE(rdf, nullptr);
    char* text = ldns_rdf2str(rdf);
    std::string expected(text);
    std::free(text);
    ldns_rdf_deep_free(rdf);
    ASSERT_EQ(expected.back(), '.');
    expected.pop_back();
    for (char& c : expected) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    EXPECT_EQ(m->question, expected);
  }
}

// ---- hostile input --------------------------------------------------------

// Header: id 0x1234, QR set, given counts.
Bytes header(uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
  return {0x12,
          0x34,
          0x81,
          0x80,
          uint8_t(qd >> 8),
          uint8_t(qd),
          uint8_t(an >> 8),
          uint8_t(an),
          uint8_t(ns >> 8),
          uint8_t(ns),
          uint8_t(ar >> 8),
          uint8_t(ar)};
}

void append(Bytes& b, std::initializer_list<uint8_t> more) {
  b.insert(b.end(), more);
}

TEST(DnsMessageTest, RejectsCompressionPointerToItself) {
  Bytes wire = header(1, 0);
  append(wire, {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});  // name at 12 points to 12
  std::string error;
  EXPECT_FALSE(parse(wire, &error));
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
}

TEST(DnsMessageTest, RejectsTwoPointerLoop) {
  Bytes wire = header(1, 0);
  // offset 12: pointer to 14; offset 14: pointer to 12 (then type/class).
  append(wire, {0xc0, 0x0e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
  EXPECT_FALSE(parse(wire));
}

TEST(DnsMessageTest, RejectsLoopThatGrowsTheName) {
  Bytes wire = header(1, 0);
  // offset 12: label "a" then a pointer back to 12: "a.a.a.a..." forever.
  append(wire, {0x01, 'a', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
  EXPECT_FALSE(parse(wire));
}

TEST(DnsMessageTest, RejectsPointerLoopInAnAnswer) {
  Bytes wire = header(1, 1);
  append(wire, {3, 'w', 'w', 'w', 0, 0x00, 0x01, 0x00, 0x01});  // question www. A IN
  // answer owner at offset 21 points to 21.
  append(wire, {0xc0, 21, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1});
  EXPECT_FALSE(parse(wire));
}

TEST(DnsMessageTest, RejectsPointersOutsideTheMessage) {
  Bytes wire = header(1, 0);
  append(wire, {0xff, 0xff, 0x00, 0x01, 0x00, 0x01});
  EXPECT_FALSE(parse(wire));
}

TEST(DnsMessageTest, RejectsAbsurdCounts) {
  Bytes wire = header(1, 65535, 65535, 65535);
  append(wire, {3, 'w', 'w', 'w', 0, 0x00, 0x01, 0x00, 0x01});
  std::string error;
  EXPECT_FALSE(parse(wire, &error));
  EXPECT_NE(error.find("counts"), std::string::npos) << error;

  wire = header(0xffff, 0);
  append(wire, {0, 0, 1, 0, 1});
  EXPECT_FALSE(parse(wire, &error));
}

TEST(DnsMessageTest, RejectsNoQuestionEmptyAndHeaderOnly) {
  std::string error;
  EXPECT_FALSE(parse(Bytes{}, &error));
  EXPECT_FALSE(parse(Bytes{0x12, 0x34}, &error));
  EXPECT_FALSE(parse(header(0, 0), &error));
  EXPECT_EQ(error, "no question");
}

TEST(DnsMessageTest, RejectsOversized) {
  Bytes wire = build(chain_spec());
  DnsParseLimits limits;
  limits.max_message_bytes = wire.size() - 1;
  std::string error;
  EXPECT_FALSE(parse(wire, &error, limits));
  EXPECT_NE(error.find("larger"), std::string::npos) << error;

  // Over 65535 bytes is never DNS, whatever it contains.
  wire.resize(65536, 0);
  EXPECT_FALSE(parse(wire, &error));
  EXPECT_NE(error.find("larger"), std::string::npos) << error;
}

TEST(DnsMessageTest, TruncationAtEveryOffsetIsRejected) {
  const Bytes wire = build(chain_spec());
  ASSERT_TRUE(parse(wire));
  for (size_t n = 0; n < wire.size(); ++n) {
    const Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse(cut)) << "truncated to " << n << " of " << wire.size() << " bytes";
  }
}

TEST(DnsMessageTest, RandomCorruptionNeverCrashes) {
  // A fixed seed keeps failures reproducible; the fuzzer does the real search.
  const Bytes good = build(chain_spec());
  std::mt19937 rng(12345);
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes wire = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) wire[rng() % wire.size()] = static_cast<uint8_t>(rng());
    const auto m = parse(wire);
    if (!m) continue;
    ++parsed;
    EXPECT_LE(m->answers.size(), 64u);
    for (const auto& r : m->answers) EXPECT_LE(r.name.size(), 255u);
  }
  EXPECT_GT(parsed, 0u);
}

// ---- DNS over TCP -----------------------------------------------------------

Bytes framed(const Bytes& message) {
  Bytes out(2 + message.size());
  out[0] = uint8_t(message.size() >> 8);
  out[1] = uint8_t(message.size());
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

TEST(DnsMessageTest, TcpFramingParsesConsecutiveMessages) {
  MessageSpec second;
  second.id = 7;
  Bytes stream = framed(build(chain_spec()));
  const Bytes more = framed(build(second));
  stream.insert(stream.end(), more.begin(), more.end());

  size_t consumed = 0;
  std::string error;
  auto m = parse_dns_over_tcp(stream, &error, &consumed);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->question, "www.example.com");
  ASSERT_EQ(consumed, stream.size() - more.size());
  m = parse_dns_over_tcp(std::span<const uint8_t>(stream).subspan(consumed), &error, &consumed);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->id, 7);
  EXPECT_EQ(consumed, more.size());
}

TEST(DnsMessageTest, TcpFramingChecksThePrefix) {
  const Bytes message = build(chain_spec());
  Bytes stream = framed(message);
  size_t consumed = 99;
  std::string error;

  stream.pop_back();  // prefix now claims one byte more than present
  EXPECT_FALSE(parse_dns_over_tcp(stream, &error, &consumed));
  EXPECT_EQ(consumed, 0u);
  EXPECT_NE(error.find("longer"), std::string::npos) << error;

  EXPECT_FALSE(parse_dns_over_tcp(Bytes{0x00}, &error, &consumed));
  EXPECT_FALSE(parse_dns_over_tcp(Bytes{0x00, 0x00, 0x12}, &error, &consumed));
  EXPECT_NE(error.find("zero"), std::string::npos) << error;

  // A complete frame around a bad message: rejected, but the frame is consumed.
  Bytes junk = {0x00, 0x03, 1, 2, 3};
  EXPECT_FALSE(parse_dns_over_tcp(junk, &error, &consumed));
  EXPECT_EQ(consumed, 5u);
}

// ---- the shared captures ----------------------------------------------------

// Vendored in the repository (tests/fixtures/pcap/README.md).
constexpr const char* kCaptureDir = PROCFLOW_TEST_FIXTURES "/pcap/dns";

struct Payload {
  bool tcp;
  Bytes bytes;
};

// DNS payloads (UDP or TCP, port 53 either side) of one capture. Ethernet
// with optional 802.1Q/802.1ad tags and PPPoE; IPv4 and IPv6. IP fragments are skipped: this
// reader does not reassemble them (nor TCP streams: a TCP payload is used
// when it holds whole frames).
std::vector<Payload> dns_payloads(const std::string& path) {
  std::vector<Payload> out;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  EXPECT_NE(p, nullptr) << path << ": " << errbuf;
  if (!p) return out;
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB) << path;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    const size_t len = h->caplen;
    size_t off = 12;
    if (len < off + 2) continue;
    uint16_t ethertype = uint16_t(data[off] << 8 | data[off + 1]);
    off += 2;
    while ((ethertype == 0x8100 || ethertype == 0x88a8) && len >= off + 4) {
      ethertype = uint16_t(data[off + 2] << 8 | data[off + 3]);
      off += 4;
    }
    if (ethertype == 0x8864 && len >= off + 8) {  // PPPoE session, then PPP's protocol
      const uint16_t ppp = uint16_t(data[off + 6] << 8 | data[off + 7]);
      ethertype = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
      off += 8;
    }
    uint8_t proto = 0;
    size_t l4 = 0, l4_end = 0;
    if (ethertype == 0x0800) {
      if (len < off + 20) continue;
      const size_t ihl = (data[off] & 0x0f) * 4u;
      const uint16_t frag = uint16_t(data[off + 6] << 8 | data[off + 7]);
      if ((frag & 0x3fff) != 0) continue;  // MF or an offset: a fragment
      const size_t total = uint16_t(data[off + 2] << 8 | data[off + 3]);
      proto = data[off + 9];
      l4 = off + ihl;
      l4_end = std::min(len, off + total);
    } else if (ethertype == 0x86dd) {
      if (len < off + 40) continue;
      const size_t payload_len = uint16_t(data[off + 4] << 8 | data[off + 5]);
      uint8_t next = data[off + 6];
      l4_end = std::min(len, off + 40 + payload_len);
      l4 = off + 40;
      // Hop-by-hop, routing and destination options can precede UDP/TCP;
      // a fragment header (44) means a fragment, skipped.
      while ((next == 0 || next == 43 || next == 60) && l4 + 8 <= l4_end) {
        const uint8_t following = data[l4];
        l4 += (data[l4 + 1] + 1u) * 8u;
        next = following;
      }
      proto = next;
    } else {
      continue;
    }
    if (l4 >= l4_end) continue;
    if (proto == 17 && l4 + 8 <= l4_end) {
      const uint16_t sport = uint16_t(data[l4] << 8 | data[l4 + 1]);
      const uint16_t dport = uint16_t(data[l4 + 2] << 8 | data[l4 + 3]);
      if (sport != 53 && dport != 53) continue;
      out.push_back({false, Bytes(data + l4 + 8, data + l4_end)});
    } else if (proto == 6 && l4 + 20 <= l4_end) {
      const uint16_t sport = uint16_t(data[l4] << 8 | data[l4 + 1]);
      const uint16_t dport = uint16_t(data[l4 + 2] << 8 | data[l4 + 3]);
      const size_t doff = (data[l4 + 12] >> 4) * 4u;
      if ((sport != 53 && dport != 53) || l4 + doff >= l4_end) continue;
      out.push_back({true, Bytes(data + l4 + doff, data + l4_end)});
    }
  }
  pcap_close(p);
  return out;
}

struct CaptureResult {
  size_t responses = 0;                                    // parsed, QR set
  size_t rejected = 0;                                     // payloads that did not parse
  std::set<std::pair<std::string, std::string>> a;         // (question, answered address)
  std::map<std::string, std::vector<std::string>> cnames;  // question -> CNAME targets
  std::map<std::string, uint16_t> rcodes;                  // question -> rcode
};

CaptureResult parse_capture(const std::string& file, const DnsParseLimits& limits) {
  CaptureResult result;
  for (const Payload& p : dns_payloads(std::string(kCaptureDir) + "/" + file)) {
    std::span<const uint8_t> rest(p.bytes);
    do {
      std::optional<DnsMessage> m;
      size_t consumed = rest.size();
      if (p.tcp) {
        m = parse_dns_over_tcp(rest, nullptr, &consumed, limits);
        if (consumed == 0) break;
      } else {
        m = parse_dns_message(rest, nullptr, limits);
      }
      rest = rest.subspan(consumed);
      if (!m) {
        ++result.rejected;
        continue;
      }
      if (!m->is_response) continue;
      ++result.responses;
      result.rcodes[m->question] = m->rcode;
      for (const DnsRecord& r : m->answers) {
        if (r.type == dns_type::cname) result.cnames[m->question].push_back(r.target);
        if (r.address.is_set()) result.a.insert({m->question, r.address.to_string()});
      }
    } while (p.tcp && !rest.empty());
  }
  return result;
}

bool has(const CaptureResult& r, const char* question, const char* address) {
  return r.a.count({question, address}) == 1;
}

// Expected values come from
//   tshark -r FILE -Y dns.flags.response==1 -T fields -e dns.qry.name -e dns.a
// (and -V for the answer section), run once on the named file.
TEST(DnsMessageCaptureTest, DnsPcap) {
  const auto r = parse_capture("dns.pcap", {});
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(r.responses, 3u);
  for (const char* a : {"169.45.219.235", "169.47.40.142", "169.45.248.121", "108.168.176.234",
                        "169.45.248.189", "169.45.248.180", "169.53.81.79", "169.45.219.232"}) {
    EXPECT_TRUE(has(r, "e7.whatsapp.net", a)) << a;
  }
}

TEST(DnsMessageCaptureTest, GoogleNsidPcapng) {
  const auto r = parse_capture("dns-google-nsid.pcapng", {});
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(r.responses, 7u);
  EXPECT_TRUE(has(r, "www.ntop.org", "178.62.197.130"));
  EXPECT_TRUE(has(r, "www.wikipedia.it", "108.157.194.28"));  // frame 6
  EXPECT_TRUE(has(r, "www.wikipedia.it", "18.67.39.58"));     // frame 12
  EXPECT_TRUE(has(r, "www.wireshark.org", "172.67.75.39"));
  EXPECT_EQ(r.cnames.at("www.ntop.org").front(), "ntop-digitalocean.ntop.org");
  const std::vector<std::string> chain = {"b7fd7b.yepa.com", "d2x2r9xi9rd3sc.cloudfront.net"};
  const auto& seen = r.cnames.at("www.wikipedia.it");
  EXPECT_TRUE(std::equal(chain.begin(), chain.end(), seen.begin()));
}

TEST(DnsMessageCaptureTest, AmbiguousNamesPcap) {
  const auto r = parse_capture("dns_ambiguous_names.pcap", {});
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(r.responses, 10u);
  EXPECT_TRUE(has(r, "api.teams.skype.com", "52.113.194.131"));
  EXPECT_EQ(r.cnames.at("api.teams.skype.com").back(), "s-0004.s-msedge.net");
  EXPECT_TRUE(has(r, "android.clients.google.com", "64.233.164.100"));
  EXPECT_EQ(r.rcodes.at("*.teams.microsoft.com"), dns_rcode::nxdomain);
}

TEST(DnsMessageCaptureTest, InvalidCharsPcapEscapesOddBytes) {
  const auto r = parse_capture("dns-invalid-chars.pcap", {});
  EXPECT_EQ(r.responses, 1u);
  // tshark prints the same name: www.allyourbasesare\001\002\003ongto.cn
  EXPECT_TRUE(has(r, "www.allyourbasesare\\001\\002\\003ongto.cn", "19.185.141.241"));
}

TEST(DnsMessageCaptureTest, FragmentedPcapUnfragmentedAnswersAndTcp) {
  const auto r = parse_capture("dns_fragmented.pcap", {});
  EXPECT_EQ(r.rejected, 0u);
  // Over IPv6 transport (frames 21, 29, 35).
  EXPECT_TRUE(has(r, "fg2-mgmt.weberlab.de", "2001:470:1f0b:16b0::1"));
  EXPECT_TRUE(has(r, "sigok.verteiltesysteme.net", "134.91.78.139"));
  EXPECT_TRUE(has(r, "erfpop.de", "2606:4700:30::6818:6291"));
  EXPECT_TRUE(has(r, "erfpop.de", "2606:4700:30::6818:6391"));
  // The fragmented answers (frames 3, 6, 9, 12, ...) are skipped, not misparsed; the
  // DNSKEY answers over TCP (frames 50 and 62) parse: weberlab.de is among the responses.
  EXPECT_EQ(r.rcodes.count("weberlab.de"), 1u);
}

TEST(DnsMessageCaptureTest, EveryResponseInEveryCaptureIsHandled) {
  // Responses per file as tshark counts them (-Y dns.flags.response==1), less
  // the ones this reader cannot see (IP fragments: 7 in dns_fragmented.pcap)
  // and the one it must reject (dns_invert_query.pcapng: an inverse query's
  // response has no question, which also rejects the query before it).
  struct Expect {
    const char* file;
    size_t responses;
    size_t rejected;          // under a lenient name limit
    size_t rejected_default;  // under the default 255-character name limit (queries too)
  };
  const Expect expected[] = {
      {"dns-google-nsid.pcapng", 7, 0, 0},    {"dns-invalid-chars.pcap", 1, 0, 0},
      {"dns-tunnel-iodine.pcap", 212, 0, 39}, {"dns.pcap", 3, 0, 0},
      {"dns_ambiguous_names.pcap", 10, 0, 0}, {"dns_fragmented.pcap", 14, 0, 0},
      {"dns_invert_query.pcapng", 0, 2, 2},   {"dns_long_domainname.pcap", 1, 0, 0},
  };
  // Lenient enough for tunnel names: iodine's binary labels print as \DDD.
  DnsParseLimits lenient;
  lenient.max_name_length = 4 * LDNS_MAX_DOMAINLEN;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCaptureDir)) {
    const std::string file = entry.path().filename().string();
    const auto r = parse_capture(file, lenient);
    const auto d = parse_capture(file, {});
    for (const Expect& e : expected) {
      if (file != e.file) continue;
      ++files;
      EXPECT_EQ(r.responses, e.responses) << file;
      EXPECT_EQ(r.rejected, e.rejected) << file;
      EXPECT_EQ(d.rejected, e.rejected_default) << file;
    }
  }
  EXPECT_EQ(files, std::size(expected)) << "a capture listed here is missing";
}

}  // namespace
}  // namespace procflow
