// Tests replay_capture, the file half of `procflow replay`: the one-line errors for files that
// are missing, not captures, of an unsupported link type or truncated part way (with how far it
// got), and the link types it reads, on small pcap and pcapng files written here; pcapng with
// interfaces of different link types (which libpcap refuses) and both formats on stdin.
#include "replay/capture_replay.h"

#include <gtest/gtest.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pcapng_builder.h"

namespace procflow {
namespace {

using Bytes = std::vector<uint8_t>;

void put_le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; i++) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_le16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

// A classic pcap file (microsecond timestamps, little-endian) of `frames` on link type
// `linktype` (the LINKTYPE_* value stored in files).
Bytes pcap_file(uint32_t linktype, const std::vector<Bytes>& frames) {
  Bytes b;
  put_le32(b, 0xa1b2c3d4);
  put_le16(b, 2);
  put_le16(b, 4);
  put_le32(b, 0);
  put_le32(b, 0);
  put_le32(b, 65535);
  put_le32(b, linktype);
  uint32_t second = 1'700'000'000;
  for (const Bytes& f : frames) {
    put_le32(b, second++);
    put_le32(b, 250'000);
    put_le32(b, static_cast<uint32_t>(f.size()));
    put_le32(b, static_cast<uint32_t>(f.size()));
    b.insert(b.end(), f.begin(), f.end());
  }
  return b;
}

// IPv4 10.0.0.1:1000 -> 10.0.0.2:2000, UDP, a 4-byte payload.
Bytes udp_ipv4() {
  return {0x45, 0, 0, 32, 0,    1,    0,    0,    64, 17, 0, 0, 10,  0,   0,   1,
          10,   0, 0, 2,  0x03, 0xe8, 0x07, 0xd0, 0,  12, 0, 0, 'a', 'b', 'c', 'd'};
}

class ReplayCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("procflow-replay-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const Bytes& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(content.data()),
               static_cast<std::streamsize>(content.size()));
    return path;
  }

  // Replays `path`, keeping the events; returns replay_capture's result.
  bool replay(const std::string& path, std::string* error, CaptureStats* stats,
              std::vector<FlowEvent>* events = nullptr) {
    ReplayFlows flows({}, [&](const FlowEvent& e, const ReplayFlowRecord&) {
      if (events) events->push_back(e);
    });
    const bool ok = replay_capture(path, flows, stats, error);
    flows.finish();
    return ok;
  }

  std::filesystem::path dir_;
};

// Classic pcap keeps seconds in 32 bits, which libpcap hands over as a
// signed number: from 2038 on they are negative and used to read as 1970 (and
// so stopped the capture clock, and with it UDP idle timeouts).
TEST(CaptureTimestampTest, SecondsFrom2038OnAreTheUnsignedValueWritten) {
  timeval at_2038{};
  at_2038.tv_sec = static_cast<time_t>(INT32_MIN);  // 0x80000000 as written in the file
  at_2038.tv_usec = 5;
  EXPECT_EQ(capture_timestamp_us(at_2038), 2147483648ull * 1'000'000 + 5);
  timeval last{};
  last.tv_sec = -1;  // 0xffffffff: 2106-02-07
  EXPECT_EQ(capture_timestamp_us(last), 4294967295ull * 1'000'000);
  timeval ordinary{};
  ordinary.tv_sec = 1'700'000'000;
  ordinary.tv_usec = 123;
  EXPECT_EQ(capture_timestamp_us(ordinary), 1'700'000'000'000'123ull);
  timeval corrupt{};
  corrupt.tv_sec = 10;
  corrupt.tv_usec = -1;
  EXPECT_EQ(capture_timestamp_us(corrupt), 0u);
}

TEST_F(ReplayCaptureTest, MissingFile) {
  std::string error;
  CaptureStats stats;
  const std::string path = (dir_ / "missing.pcap").string();
  EXPECT_FALSE(replay(path, &error, &stats));
  EXPECT_EQ(error, path + ": No such file or directory");
  EXPECT_FALSE(stats.started);
}

TEST_F(ReplayCaptureTest, NotACapture) {
  std::string error;
  CaptureStats stats;
  const std::string path = write("notes.txt", Bytes{'h', 'e', 'l', 'l', 'o', '\n'});
  EXPECT_FALSE(replay(path, &error, &stats));
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_FALSE(stats.started);
}

TEST_F(ReplayCaptureTest, UnsupportedLinkType) {
  std::string error;
  CaptureStats stats;
  const std::string path = write("wifi.pcap", pcap_file(105, {Bytes(30, 0)}));  // 802.11
  EXPECT_FALSE(replay(path, &error, &stats));
  EXPECT_EQ(error, path +
                       ": link type IEEE802_11 (105) is not supported (Ethernet, Linux cooked, "
                       "raw IP are)");
  EXPECT_FALSE(stats.started);
  EXPECT_EQ(stats.frames, 0u);
}

TEST_F(ReplayCaptureTest, TruncatedCaptureSaysHowFarItGot) {
  Bytes file = pcap_file(101, {udp_ipv4(), udp_ipv4(), udp_ipv4()});
  file.resize(file.size() - 10);  // the third record's data is cut
  std::string error;
  CaptureStats stats;
  std::vector<FlowEvent> events;
  const std::string path = write("cut.pcap", file);
  EXPECT_FALSE(replay(path, &error, &stats, &events));
  EXPECT_TRUE(stats.started);
  EXPECT_EQ(stats.frames, 2u);
  EXPECT_EQ(error.rfind(path + ": capture is truncated or damaged after 2 packets: ", 0), 0u)
      << error;
  // What was read is still a flow, ended by the caller.
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].packet_count, 2u);
}

TEST_F(ReplayCaptureTest, RawIpAndLinuxCookedV2Files) {
  // LINKTYPE_RAW (101), which libpcap reports as DLT_RAW.
  std::string error;
  CaptureStats stats;
  std::vector<FlowEvent> events;
  ASSERT_TRUE(replay(write("raw.pcap", pcap_file(101, {udp_ipv4()})), &error, &stats, &events))
      << error;
  EXPECT_EQ(stats.count(ParseStatus::ok), 1u);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].src_ip.to_string(), "10.0.0.1");
  EXPECT_EQ(events[0].timestamp_us, 1'700'000'000'250'000u);
  EXPECT_EQ(events[1].out_bytes, 4u);

  // LINKTYPE_LINUX_SLL2 (276): a 20-byte header, protocol first.
  Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  const Bytes ip = udp_ipv4();
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  Bytes arp = {0x08, 0x06, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  arp.resize(48, 0);
  events.clear();
  ASSERT_TRUE(replay(write("any.pcap", pcap_file(276, {sll2, arp})), &error, &stats, &events))
      << error;
  EXPECT_EQ(stats.frames, 2u);
  EXPECT_EQ(stats.count(ParseStatus::ok), 1u);
  EXPECT_EQ(stats.count(ParseStatus::not_ip), 1u);
  EXPECT_EQ(events.size(), 2u);
}

// An Ethernet frame around udp_ipv4().
Bytes udp_ethernet() {
  Bytes frame = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  const Bytes ip = udp_ipv4();
  frame.insert(frame.end(), ip.begin(), ip.end());
  return frame;
}

// What `pcapng --interface any` style captures hold: interfaces of different
// link types in one file. Each interface's frames are read with its own link
// type; an interface of a type the parser does not read is counted, and the
// rest replayed.
TEST_F(ReplayCaptureTest, PcapngInterfacesOfDifferentLinkTypes) {
  PcapngBuilder b;
  b.section().interface(1).interface(101).interface(105, 9);  // Ethernet, raw IP, 802.11 (ns)
  b.packet(0, 1'700'000'000'000'000ull, udp_ethernet());
  b.packet(2, 1'700'000'000'500'000'000ull, Bytes(30, 0));
  b.packet(1, 1'700'000'001'000'000ull, udp_ipv4());
  std::string error;
  CaptureStats stats;
  std::vector<FlowEvent> events;
  ASSERT_TRUE(replay(write("mixed.pcapng", b.bytes()), &error, &stats, &events)) << error;
  EXPECT_TRUE(stats.started);
  EXPECT_EQ(stats.frames, 3u);
  EXPECT_EQ(stats.count(ParseStatus::ok), 2u);
  EXPECT_EQ(stats.unsupported_link, 1u);
  ASSERT_EQ(events.size(), 2u);  // one flow: start and end
  EXPECT_EQ(events[0].timestamp_us, 1'700'000'000'000'000u);
  EXPECT_EQ(events[1].packet_count, 2u);
  EXPECT_EQ(events[1].out_bytes, 8u);
}

TEST_F(ReplayCaptureTest, DamagedPcapngSaysHowFarItGot) {
  PcapngBuilder b;
  b.section().interface(101).packet(0, 1, udp_ipv4()).packet(0, 2, udp_ipv4());
  Bytes file = b.bytes();
  file.resize(file.size() - 6);
  std::string error;
  CaptureStats stats;
  const std::string path = write("cut.pcapng", file);
  EXPECT_FALSE(replay(path, &error, &stats));
  EXPECT_EQ(stats.frames, 1u);
  EXPECT_EQ(error.rfind(path + ": capture is truncated or damaged after 1 packets: ", 0), 0u)
      << error;
}

// `procflow replay -` reads stdin, which cannot be rewound: the bytes read to
// tell pcap from pcapng must reach whichever reader takes the file.
TEST_F(ReplayCaptureTest, BothFormatsFromStdin) {
  PcapngBuilder b;
  b.section().interface(101).packet(0, 1'700'000'000'000'000ull, udp_ipv4());
  const std::pair<std::string, Bytes> files[] = {
      {"in.pcap", pcap_file(101, {udp_ipv4(), udp_ipv4()})}, {"in.pcapng", b.bytes()}};
  for (const auto& [name, content] : files) {
    ASSERT_NE(std::freopen(write(name, content).c_str(), "rb", stdin), nullptr);
    std::string error;
    CaptureStats stats;
    std::vector<FlowEvent> events;
    EXPECT_TRUE(replay("-", &error, &stats, &events)) << name << ": " << error;
    EXPECT_EQ(stats.count(ParseStatus::ok), name == "in.pcap" ? 2u : 1u) << name;
    EXPECT_EQ(events.size(), 2u) << name;
  }
  ASSERT_NE(std::freopen("/dev/null", "rb", stdin), nullptr);
}

TEST_F(ReplayCaptureTest, StopEndsTheReplayEarly) {
  std::vector<Bytes> frames(10'000, udp_ipv4());
  const std::string path = write("long.pcap", pcap_file(101, frames));
  ReplayFlows flows({}, [](const FlowEvent&, const ReplayFlowRecord&) {});
  CaptureStats stats;
  std::string error;
  EXPECT_TRUE(replay_capture(path, flows, &stats, &error, [] { return true; }));
  EXPECT_GT(stats.frames, 0u);
  EXPECT_LT(stats.frames, 10'000u);
}

}  // namespace
}  // namespace procflow
