#include "replay/pcapng_reader.h"

#include <cstring>

namespace procflow {
namespace {

constexpr uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescription = 0x00000001;
constexpr uint32_t kObsoletePacket = 0x00000002;
constexpr uint32_t kSimplePacket = 0x00000003;
constexpr uint32_t kEnhancedPacket = 0x00000006;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptionEnd = 0;
constexpr uint16_t kOptionTsResol = 9;

uint32_t swap32(uint32_t v) {
  return __builtin_bswap32(v);
}

size_t padded(size_t n) {
  return (n + 3) & ~size_t{3};
}

}  // namespace

bool PcapngReader::is_pcapng(std::span<const uint8_t> head) {
  if (head.size() < 4) return false;
  uint32_t v;
  std::memcpy(&v, head.data(), 4);
  return v == kSectionHeader;  // a palindrome: the same in both byte orders
}

bool PcapngReader::read_exactly(uint8_t* to, size_t n) {
  size_t got = 0;
  while (got < n) {
    const size_t r = read_(to + got, n - got);
    if (r == 0) return false;
    got += r;
  }
  offset_ += n;
  return true;
}

uint32_t PcapngReader::u32(const uint8_t* p) const {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped_ ? swap32(v) : v;
}

uint16_t PcapngReader::u16(const uint8_t* p) const {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return swapped_ ? __builtin_bswap16(v) : v;
}

uint64_t PcapngReader::to_us(uint64_t ticks, const Interface& i) const {
  if (i.units_per_second == 1'000'000) return ticks;
  // 128 bits: a nanosecond timestamp times 10^6 does not fit in 64.
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ticks) * 1'000'000 /
                               i.units_per_second);
}

bool PcapngReader::section_header(std::string* error) {
  if (block_.size() < 4 + 4) {
    *error = "section header too short";
    return false;
  }
  uint32_t magic;
  std::memcpy(&magic, block_.data(), 4);
  if (magic == kByteOrderMagic) {
    swapped_ = false;
  } else if (swap32(magic) == kByteOrderMagic) {
    swapped_ = true;
  } else {
    *error = "section header with no byte-order magic";
    return false;
  }
  interfaces_.clear();  // interface ids are per section
  return true;
}

bool PcapngReader::interface_description(std::string* error) {
  if (block_.size() < 8) {
    *error = "interface description too short";
    return false;
  }
  Interface i;
  i.link_type = u16(block_.data());
  i.snap_length = u32(block_.data() + 4);
  // Options: code, length, value padded to 4; only the resolution matters.
  size_t at = 8;
  while (at + 4 <= block_.size()) {
    const uint16_t code = u16(block_.data() + at);
    const uint16_t len = u16(block_.data() + at + 2);
    at += 4;
    if (code == kOptionEnd || at + len > block_.size()) break;
    if (code == kOptionTsResol && len >= 1) {
      const uint8_t r = block_[at];
      const uint8_t exponent = r & 0x7f;
      uint64_t units = 1;
      const uint64_t base = (r & 0x80) ? 2 : 10;
      // Beyond 2^63 or 10^19 units a second the value is not a clock.
      if (exponent > (base == 2 ? 63 : 19)) {
        *error = "interface with an impossible timestamp resolution";
        return false;
      }
      for (uint8_t k = 0; k < exponent; k++) units *= base;
      i.units_per_second = units;
    }
    at += padded(len);
  }
  interfaces_.push_back(i);
  return true;
}

bool PcapngReader::packet(uint32_t type, PcapngPacket* out, std::string* error) {
  uint32_t interface_id = 0, captured = 0, wire = 0;
  uint64_t ticks = 0;
  size_t data_at = 0;
  if (type == kEnhancedPacket || type == kObsoletePacket) {
    if (block_.size() < 20) {
      *error = "packet block too short";
      return false;
    }
    interface_id = type == kEnhancedPacket ? u32(block_.data()) : u16(block_.data());
    ticks = uint64_t{u32(block_.data() + 4)} << 32 | u32(block_.data() + 8);
    captured = u32(block_.data() + 12);
    wire = u32(block_.data() + 16);
    data_at = 20;
  } else {  // a simple packet: interface 0, no timestamp
    if (block_.size() < 4) {
      *error = "simple packet block too short";
      return false;
    }
    wire = u32(block_.data());
    data_at = 4;
    captured = static_cast<uint32_t>(block_.size() - data_at);
    if (!interfaces_.empty() && interfaces_[0].snap_length && captured > interfaces_[0].snap_length)
      captured = interfaces_[0].snap_length;
    if (captured > wire) captured = wire;
  }
  if (interface_id >= interfaces_.size()) {
    *error = "packet of interface " + std::to_string(interface_id) + ", which was never described";
    return false;
  }
  if (captured > block_.size() - data_at) {
    *error = "packet longer than its block";
    return false;
  }
  const Interface& i = interfaces_[interface_id];
  out->link_type = i.link_type;
  out->ts_us = to_us(ticks, i);
  out->wire_length = wire;
  out->data = std::span<const uint8_t>(block_.data() + data_at, captured);
  return true;
}

bool PcapngReader::next(PcapngPacket* out, std::string* error) {
  error->clear();
  for (;;) {
    const uint64_t block_at = offset_;
    uint8_t head[8];
    if (!read_exactly(head, 1)) return false;  // the end, between blocks
    if (!read_exactly(head + 1, 7)) {
      *error = "truncated block header at byte " + std::to_string(block_at);
      return false;
    }
    uint32_t type;
    std::memcpy(&type, head, 4);
    if (type == kSectionHeader) {
      // The byte order is only known from inside the header: peek at it.
      uint8_t magic[4];
      if (!read_exactly(magic, 4)) {
        *error = "truncated section header at byte " + std::to_string(block_at);
        return false;
      }
      uint32_t m;
      std::memcpy(&m, magic, 4);
      swapped_ = m != kByteOrderMagic;
      uint32_t length = u32(head + 4);
      if (length < 28 || length > max_block_bytes || length % 4) {
        *error = "bad section header length at byte " + std::to_string(block_at);
        return false;
      }
      block_.resize(length - 12);
      std::memcpy(block_.data(), magic, 4);
      uint8_t trailer[4];
      if (!read_exactly(block_.data() + 4, block_.size() - 4) || !read_exactly(trailer, 4)) {
        *error = "truncated section header at byte " + std::to_string(block_at);
        return false;
      }
      blocks_++;
      if (!section_header(error)) {
        *error += " at byte " + std::to_string(block_at);
        return false;
      }
      continue;
    }
    type = u32(head);
    const uint32_t length = u32(head + 4);
    if (length < 12 || length > max_block_bytes || length % 4) {
      *error =
          "bad block length " + std::to_string(length) + " at byte " + std::to_string(block_at);
      return false;
    }
    block_.resize(length - 12);
    uint8_t trailer[4];
    if (!read_exactly(block_.data(), block_.size()) || !read_exactly(trailer, 4)) {
      *error = "truncated block at byte " + std::to_string(block_at);
      return false;
    }
    if (u32(trailer) != length) {
      *error = "block lengths disagree at byte " + std::to_string(block_at);
      return false;
    }
    blocks_++;
    if (type == kInterfaceDescription) {
      if (!interface_description(error)) {
        *error += " at byte " + std::to_string(block_at);
        return false;
      }
      continue;
    }
    if (type == kEnhancedPacket || type == kObsoletePacket || type == kSimplePacket) {
      if (!packet(type, out, error)) {
        *error += " at byte " + std::to_string(block_at);
        return false;
      }
      return true;
    }
    // Statistics, name resolution, custom and unknown blocks: nothing to replay.
  }
}

}  // namespace procflow
