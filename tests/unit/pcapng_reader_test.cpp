// Tests PcapngReader on pcapng files built here, block by block: interfaces
// of different link types in one file (which libpcap refuses), timestamp
// resolutions, both byte orders, simple packets, sections that restart the
// interface list, and damaged input (every truncation, lying lengths).
#include "replay/pcapng_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "pcapng_builder.h"

namespace procflow {
namespace {

using Bytes = PcapngBuilder::Bytes;

struct Read {
  std::vector<PcapngPacket> packets;
  std::vector<Bytes> data;
  std::string error;
};

Read read_all(const Bytes& file) {
  size_t at = 0;
  PcapngReader reader([&](uint8_t* to, size_t n) {
    const size_t k = std::min(n, file.size() - at);
    std::memcpy(to, file.data() + at, k);
    at += k;
    return k;
  });
  Read r;
  PcapngPacket p;
  while (reader.next(&p, &r.error)) {
    r.packets.push_back(p);
    r.data.emplace_back(p.data.begin(), p.data.end());
  }
  return r;
}

constexpr uint16_t kEthernet = 1;
constexpr uint16_t kRawIp = 101;

TEST(PcapngReaderTest, InterfacesOfDifferentLinkTypesInOneFile) {
  PcapngBuilder b;
  b.section().interface(kEthernet).interface(kRawIp);
  b.packet(0, 1'700'000'000'000'000ull, {1, 2, 3}).packet(1, 1'700'000'000'000'001ull, {4, 5});
  const Read r = read_all(b.bytes());
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].link_type, kEthernet);
  EXPECT_EQ(r.packets[1].link_type, kRawIp);
  EXPECT_EQ(r.packets[0].ts_us, 1'700'000'000'000'000ull);
  EXPECT_EQ(r.data[1], (Bytes{4, 5}));
  EXPECT_EQ(r.packets[1].wire_length, 2u);
}

TEST(PcapngReaderTest, TimestampResolutionsOfTheirInterface) {
  PcapngBuilder b;
  b.section().interface(kEthernet, 9).interface(kEthernet, 0x80 | 10);  // ns; 2^-10 s
  b.packet(0, 1'700'000'000'123'456'789ull, {0}).packet(1, 1024ull * 5, {0});
  const Read r = read_all(b.bytes());
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].ts_us, 1'700'000'000'123'456ull);
  EXPECT_EQ(r.packets[1].ts_us, 5'000'000u);
}

TEST(PcapngReaderTest, BigEndianSectionsAndSimplePacketsRead) {
  PcapngBuilder b(/*big_endian=*/true);
  b.section().interface(kRawIp).unknown().simple({9, 8, 7});
  const Read r = read_all(b.bytes());
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].link_type, kRawIp);
  EXPECT_EQ(r.data[0], (Bytes{9, 8, 7}));
}

TEST(PcapngReaderTest, ANewSectionStartsANewInterfaceList) {
  PcapngBuilder b;
  b.section().interface(kEthernet).packet(0, 1, {1});
  b.section().packet(0, 2, {2});  // interface 0 of the new section was never described
  const Read r = read_all(b.bytes());
  EXPECT_EQ(r.packets.size(), 1u);
  EXPECT_NE(r.error.find("never described"), std::string::npos) << r.error;
}

TEST(PcapngReaderTest, EveryTruncationIsAnErrorNeverACrash) {
  PcapngBuilder b;
  b.section().interface(kEthernet).packet(0, 1, {1, 2, 3, 4, 5});
  const Bytes whole = b.bytes();
  // A cut between two blocks is a shorter file (28: after the section header,
  // 48: after the interface); anywhere else it is damage.
  for (size_t n = 1; n < whole.size(); n++) {
    const Read r = read_all(Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_TRUE(r.packets.empty()) << "cut at " << n;
    if (n != 28 && n != 48) EXPECT_FALSE(r.error.empty()) << "cut at " << n;
  }
  EXPECT_EQ(read_all(whole).packets.size(), 1u);
}

TEST(PcapngReaderTest, LyingLengthsAreRefused) {
  PcapngBuilder b;
  b.section().interface(kEthernet).packet(0, 1, {1, 2, 3, 4});
  Bytes bad = b.bytes();
  // The packet block's captured length (4) claims more than its block holds.
  const size_t packet_at = bad.size() - (12 + 20 + 4);
  bad[packet_at + 8 + 12] = 0xff;
  EXPECT_NE(read_all(bad).error.find("longer than its block"), std::string::npos);
  Bytes mismatch = b.bytes();
  mismatch[mismatch.size() - 4] ^= 0x04;  // trailer length disagrees
  EXPECT_NE(read_all(mismatch).error.find("disagree"), std::string::npos);
}

TEST(PcapngReaderTest, OnlyASectionHeaderIsPcapng) {
  const uint8_t shb[] = {0x0A, 0x0D, 0x0D, 0x0A};
  const uint8_t pcap[] = {0xd4, 0xc3, 0xb2, 0xa1};
  EXPECT_TRUE(PcapngReader::is_pcapng(shb));
  EXPECT_FALSE(PcapngReader::is_pcapng(pcap));
  EXPECT_FALSE(PcapngReader::is_pcapng(std::span<const uint8_t>(shb, 2)));
}

}  // namespace
}  // namespace procflow
