// Replays every capture in tests/fixtures/pcap/dns through the replay library (replay_capture +
// ReplayFlows, what `procflow replay` runs) and holds the result against tshark on the same file:
//
//  - flows: `tshark -q -z conv,udp -z conv,tcp` lists the same conversations, with the same
//    packet count in each direction. Bytes: tshark's are frame bytes (pcap's original length), so
//    they are compared with the replay's frame_bytes, exactly while tshark prints them in bytes,
//    at its resolution once it prints kB/MB (it truncates: 44116 bytes print as "44 kB"). Flows
//    holding a UDP datagram split over IP fragments compare packets only: tshark counts such a
//    datagram with the frame that completes its reassembly, the replay with its first fragment
//    (the only one with ports), so each counts it once but with a different frame's length.
//  - DNS: every response tshark sees (-Y "dns.flags.response == 1") is parsed, rejected, or
//    skipped as IP-fragmented by the replay, none unaccounted for.
//  - names: flows to addresses a response answered carry the name the client asked for. The
//    expectations were read once from tshark (-T fields -e dns.qry.name -e dns.a -e dns.aaaa) and
//    are written here with the file and frame they come from.
//
// Needs tshark; skipped when it is not installed (a failure in CI: required_tool.h).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "replay/capture_replay.h"
#include "replay/replay_flows.h"
#include "required_tool.h"

namespace procflow {
namespace {

// Vendored in the repository (tests/fixtures/pcap/README.md).
constexpr const char* kCaptureDir = PROCFLOW_TEST_FIXTURES "/pcap/dns";

// Every capture of the directory, and how many TCP+UDP conversations tshark finds in each.
struct CaptureFile {
  const char* name;
  size_t conversations;
};
constexpr CaptureFile kCaptures[] = {
    {"dns-google-nsid.pcapng", 7},    {"dns-invalid-chars.pcap", 1},
    {"dns-tunnel-iodine.pcap", 1},    {"dns.pcap", 2},
    {"dns_ambiguous_names.pcap", 10}, {"dns_fragmented.pcap", 21},
    {"dns_invert_query.pcapng", 1},   {"dns_long_domainname.pcap", 1},
};

bool have_tshark() {
  return std::system("command -v tshark >/dev/null 2>&1") == 0;
}

std::string run(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

std::string path_of(const std::string& file) {
  return std::string(kCaptureDir) + "/" + file;
}

// "proto addr:port" of an endpoint, as the replay and tshark both spell it (tshark writes IPv6
// addresses unbracketed, in the same compressed form as inet_ntop).
std::string endpoint(const std::string& proto, const IpAddress& a, uint16_t port) {
  return proto + " " + a.to_string() + ":" + std::to_string(port);
}

// A conversation's two endpoints, in a fixed order.
using Pair = std::pair<std::string, std::string>;
Pair pair_of(std::string x, std::string y) {
  return x < y ? Pair{x, y} : Pair{y, x};
}

// Byte counts as tshark prints them: a value and the unit's size.
struct Printed {
  uint64_t value = 0;
  uint64_t unit = 1;  // 1 for "bytes", 1000 for "kB", ...
  bool matches(uint64_t bytes) const { return bytes / unit == value; }
};

struct Direction {
  uint64_t frames = 0;
  Printed bytes;
};

// One row of tshark's table: frames and bytes sent by each endpoint.
struct TsharkConversation {
  std::map<std::string, Direction> from;
};

std::map<Pair, TsharkConversation> tshark_conversations(const std::string& file) {
  std::map<Pair, TsharkConversation> out;
  const std::string text =
      run("tshark -r '" + path_of(file) + "' -q -z conv,udp -z conv,tcp 2>/dev/null");
  std::istringstream lines(text);
  std::string line, proto;
  auto unit_size = [](const std::string& unit) -> uint64_t {
    if (unit == "bytes") return 1;
    if (unit == "kB") return 1000;
    if (unit == "MB") return 1000 * 1000;
    ADD_FAILURE() << "unknown unit " << unit;
    return 1;
  };
  while (std::getline(lines, line)) {
    if (line.starts_with("UDP Conversations")) proto = "UDP";
    if (line.starts_with("TCP Conversations")) proto = "TCP";
    if (line.find(" <-> ") == std::string::npos) continue;
    // A <-> B  frames(B->A) bytes unit  frames(A->B) bytes unit  total...  start  duration
    std::istringstream row(line);
    std::string a, arrow, b, unit_ba, unit_ab;
    Direction ba, ab;
    row >> a >> arrow >> b >> ba.frames >> ba.bytes.value >> unit_ba >> ab.frames >>
        ab.bytes.value >> unit_ab;
    EXPECT_FALSE(row.fail()) << file << ": " << line;
    ba.bytes.unit = unit_size(unit_ba);
    ab.bytes.unit = unit_size(unit_ab);
    a = proto + " " + a;
    b = proto + " " + b;
    TsharkConversation& c = out[pair_of(a, b)];
    c.from[a] = ab;
    c.from[b] = ba;
  }
  return out;
}

// How many frames of `file` match the display filter (all of them for "").
size_t tshark_frames(const std::string& file, const std::string& filter = "") {
  const std::string text =
      run("tshark -r '" + path_of(file) + "' " + (filter.empty() ? "" : "-Y '" + filter + "' ") +
          "-T fields -e frame.number 2>/dev/null");
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// What the replay made of a capture.
struct Replayed {
  struct Flow {
    std::map<std::string, DirectionCounters> from;  // by sending endpoint
    uint64_t fragmented_datagrams = 0;
    size_t flows = 0;  // replay flows with this 5-tuple
  };
  std::map<Pair, Flow> flows;
  std::vector<FlowEvent> starts;
  ReplayDnsStats dns;
  CaptureStats capture;
  // Names of addresses at the end of the capture: a flow to each address added after the
  // capture's last packet, as a later connection to an answered address would be.
  std::map<std::string, std::pair<std::string, std::string>> names;
};

Replayed replay(const std::string& file, const std::vector<std::string>& ask = {}) {
  Replayed out;
  ReplayFlows flows({}, [&](const FlowEvent& e, const ReplayFlowRecord& r) {
    if (e.action == FlowAction::start) {
      out.starts.push_back(e);
      return;
    }
    const std::string proto(transport_name(r.ip_proto));
    const std::string init = endpoint(proto, r.initiator_ip, r.initiator_port);
    const std::string resp = endpoint(proto, r.responder_ip, r.responder_port);
    Replayed::Flow& f = out.flows[pair_of(init, resp)];
    auto add = [](DirectionCounters& to, const DirectionCounters& c) {
      to.packets += c.packets;
      to.frame_bytes += c.frame_bytes;
      to.ip_bytes += c.ip_bytes;
      to.payload_bytes += c.payload_bytes;
    };
    add(f.from[init], r.out);
    add(f.from[resp], r.in);
    f.fragmented_datagrams += r.fragmented_datagrams;
    f.flows++;
  });
  std::string error;
  EXPECT_TRUE(replay_capture(path_of(file), flows, &out.capture, &error)) << error;
  // Probe flows, after the capture's last packet: the clock stays at the capture's latest
  // time (a packet stamped earlier cannot move it back), so the names are those known then.
  auto probe_source = [](const std::string& address) {
    return address.find(':') == std::string::npos ? "10.255.0.1" : "fd00::1";
  };
  for (const auto& address : ask) {
    ParsedPacket p;
    p.src_ip = *IpAddress::parse(probe_source(address));
    p.dest_ip = *IpAddress::parse(address);
    p.ip_proto = ip_proto_tcp;
    p.src_port = 65000;
    p.dest_port = 443;
    p.tcp_flags = tcp_flag::syn;
    const size_t before = out.starts.size();
    flows.add(p, 0, 60);
    if (out.starts.size() == before + 1) {
      const FlowEvent& e = out.starts.back();
      out.names[address] = {e.dest_fqdn, e.dest_hostname};
      out.starts.pop_back();
    }
  }
  flows.finish();
  out.dns = flows.dns().stats();
  for (const auto& address : ask)
    out.flows.erase(pair_of(endpoint("TCP", *IpAddress::parse(probe_source(address)), 65000),
                            endpoint("TCP", *IpAddress::parse(address), 443)));
  return out;
}

class ReplayTsharkTest : public ::testing::Test {
 protected:
  void SetUp() override { PROCFLOW_REQUIRE_OR_SKIP(have_tshark(), "tshark is not installed"); }
};

TEST_F(ReplayTsharkTest, TheCaptureDirectoryIsTheOneListedHere) {
  std::set<std::string> present, listed;
  for (const auto& entry : std::filesystem::directory_iterator(kCaptureDir))
    if (entry.is_regular_file() && entry.path().filename() != "README.md")
      present.insert(entry.path().filename().string());
  for (const CaptureFile& c : kCaptures) listed.insert(c.name);
  EXPECT_EQ(present, listed);
}

TEST_F(ReplayTsharkTest, FlowsMatchTsharkConversations) {
  for (const CaptureFile& capture : kCaptures) {
    SCOPED_TRACE(capture.name);
    const auto expected = tshark_conversations(capture.name);
    const Replayed got = replay(capture.name);
    EXPECT_EQ(expected.size(), capture.conversations);
    EXPECT_EQ(got.flows.size(), expected.size());
    for (const auto& [pair, conversation] : expected) {
      SCOPED_TRACE(pair.first + " <-> " + pair.second);
      auto it = got.flows.find(pair);
      if (it == got.flows.end()) {
        ADD_FAILURE() << "tshark's conversation is not a replay flow";
        continue;
      }
      const Replayed::Flow& flow = it->second;
      // The default 60 s UDP idle timeout splits none of these conversations.
      EXPECT_EQ(flow.flows, 1u);
      for (const auto& [sender, direction] : conversation.from) {
        SCOPED_TRACE("sent by " + sender);
        const auto mine = flow.from.find(sender);
        const DirectionCounters counters =
            mine == flow.from.end() ? DirectionCounters{} : mine->second;
        EXPECT_EQ(counters.packets, direction.frames);
        if (flow.fragmented_datagrams == 0)
          EXPECT_TRUE(direction.bytes.matches(counters.frame_bytes))
              << "tshark: " << direction.bytes.value << " x " << direction.bytes.unit
              << " bytes, replay: " << counters.frame_bytes;
      }
    }
  }
}

TEST_F(ReplayTsharkTest, EveryFrameIsAccountedFor) {
  for (const CaptureFile& capture : kCaptures) {
    SCOPED_TRACE(capture.name);
    const Replayed got = replay(capture.name);
    EXPECT_EQ(got.capture.link_type, 1);  // all Ethernet
    EXPECT_EQ(got.capture.frames, tshark_frames(capture.name));
    uint64_t in_flows = 0;
    for (const auto& [pair, flow] : got.flows)
      for (const auto& [sender, c] : flow.from) in_flows += c.packets;
    uint64_t skipped = 0;
    for (size_t i = 1; i < got.capture.by_status.size(); i++) skipped += got.capture.by_status[i];
    EXPECT_EQ(in_flows + skipped, got.capture.frames);
  }
  // What was skipped, by capture (tshark -T fields -e frame.protocols): the ARP frames of the
  // iodine capture, the later IP fragments (3 IPv6, 4 IPv4) of dns_fragmented.pcap.
  EXPECT_EQ(replay("dns-tunnel-iodine.pcap").capture.count(ParseStatus::not_ip), 4u);
  EXPECT_EQ(replay("dns_fragmented.pcap").capture.count(ParseStatus::ip_fragment), 7u);
}

TEST_F(ReplayTsharkTest, EveryDnsResponseIsParsedOrAccountedFor) {
  for (const CaptureFile& capture : kCaptures) {
    SCOPED_TRACE(capture.name);
    const Replayed got = replay(capture.name);
    EXPECT_EQ(got.dns.messages + got.dns.rejected + got.dns.fragmented,
              tshark_frames(capture.name, "dns.flags.response == 1"));
    EXPECT_EQ(got.dns.cut_short, 0u);
    EXPECT_EQ(got.dns.tcp_resyncs, 0u);
  }
  // dns_fragmented.pcap: 7 responses arrive in IP fragments (frames 2-3, 5-6, 8-9, 11-12, 16-17,
  // 38-39, 41-42); two come over TCP (frames 50 and 62) and parse.
  const Replayed fragmented = replay("dns_fragmented.pcap");
  EXPECT_EQ(fragmented.dns.fragmented, 7u);
  EXPECT_EQ(fragmented.dns.messages, 14u);
  // dns_invert_query.pcapng: the inverse query's response (frame 2) has no question: rejected.
  EXPECT_EQ(replay("dns_invert_query.pcapng").dns.rejected, 1u);
}

TEST_F(ReplayTsharkTest, FlowsToAnsweredAddressesCarryTheAskedName) {
  // dns_fragmented.pcap: frame 44 answers ns2.weberdns.de AAAA 2001:470:1f0b:16b0::a26:53 and
  // the TCP connection to it starts in frame 45; frame 56 answers ns2.weberdns.de A 194.247.5.14
  // and the TCP connection to that starts in frame 57. No other flow in any of the captures goes
  // to an address answered (and unexpired) before it started.
  std::map<std::string, std::string> named;
  for (const CaptureFile& capture : kCaptures) {
    for (const FlowEvent& e : replay(capture.name).starts) {
      if (!e.dest_fqdn.empty())
        named[std::string(capture.name) + " " + e.dest_ip.to_string()] =
            e.dest_fqdn + " " + e.dest_hostname;
      EXPECT_EQ(e.src_fqdn, "") << capture.name << " " << e.src_ip.to_string();
    }
  }
  const std::map<std::string, std::string> expected = {
      {"dns_fragmented.pcap 2001:470:1f0b:16b0::a26:53", "ns2.weberdns.de ns2"},
      {"dns_fragmented.pcap 194.247.5.14", "ns2.weberdns.de ns2"},
  };
  EXPECT_EQ(named, expected);
}

TEST_F(ReplayTsharkTest, AnsweredAddressesNameLaterFlows) {
  // A connection to an answered address right after each capture's last packet: named by the
  // capture's answers (the asked name, not the CNAME chain's end; the name as ldns escapes it).
  struct Case {
    const char* file;
    const char* address;
    const char* fqdn;
    const char* hostname;
  };
  const Case cases[] = {
      // dns.pcap frame 5: e7.whatsapp.net A 169.45.219.235 ... 169.45.219.232 (8 addresses).
      {"dns.pcap", "169.45.219.235", "e7.whatsapp.net", "e7"},
      {"dns.pcap", "169.53.81.79", "e7.whatsapp.net", "e7"},
      {"dns.pcap", "169.45.219.232", "e7.whatsapp.net", "e7"},
      // dns-google-nsid.pcapng frame 12: www.wikipedia.it CNAME b7fd7b.yepa.com CNAME
      // d2x2r9xi9rd3sc.cloudfront.net A 18.67.39.58 ...; frame 14: www.wireshark.org A
      // 104.26.10.240 ...; frame 10: www.ntop.org CNAME ntop-digitalocean.ntop.org A
      // 178.62.197.130.
      {"dns-google-nsid.pcapng", "18.67.39.58", "www.wikipedia.it", "www"},
      {"dns-google-nsid.pcapng", "104.26.11.240", "www.wireshark.org", "www"},
      {"dns-google-nsid.pcapng", "178.62.197.130", "www.ntop.org", "www"},
      // dns_ambiguous_names.pcap frames 2, 6, 10, 20.
      {"dns_ambiguous_names.pcap", "17.57.146.139", "41-courier.push.apple.com", "41-courier"},
      {"dns_ambiguous_names.pcap", "52.113.194.131", "api.teams.skype.com", "api"},
      {"dns_ambiguous_names.pcap", "64.233.164.100", "android.clients.google.com", "android"},
      {"dns_ambiguous_names.pcap", "41.220.158.96", "instagram.faae1-1.fna.fbcdn.net", "instagram"},
      // dns-invalid-chars.pcap frame 2: control characters in the name, escaped as \DDD.
      {"dns-invalid-chars.pcap", "19.185.141.241", "www.allyourbasesare\\001\\002\\003ongto.cn",
       "www"},
      // dns_fragmented.pcap frames 29, 33, 35 (unfragmented answers).
      {"dns_fragmented.pcap", "134.91.78.139", "sigok.verteiltesysteme.net", "sigok"},
      {"dns_fragmented.pcap", "85.25.234.253", "formel1.de", "formel1"},
      {"dns_fragmented.pcap", "2606:4700:30::6818:6391", "erfpop.de", "erfpop"},
      // dns_long_domainname.pcap frame 2 answers nothing with an address.
      {"dns_long_domainname.pcap", "8.8.8.8", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + " " + c.address);
    const Replayed got = replay(c.file, {c.address});
    const auto it = got.names.find(c.address);
    ASSERT_NE(it, got.names.end());
    EXPECT_EQ(it->second.first, c.fqdn);
    EXPECT_EQ(it->second.second, c.hostname);
  }
}

}  // namespace
}  // namespace procflow
