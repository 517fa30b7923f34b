// A pcapng reader of procflow's own, for what libpcap refuses: a file whose
// interfaces have different link types (libpcap reads only files where every
// interface has the first one's). Each packet comes with its own interface's
// link type and timestamp resolution.
//
// The input is untrusted (a capture anyone can hand over): every block is
// bounded (at most 16 MiB, whole, 4-byte aligned), every length is checked
// against the block it sits in, and the reader never allocates more than one
// block at a time. Sections (a new SHB) start a fresh interface list.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace procflow {

struct PcapngPacket {
  int link_type = -1;  // the interface's LINKTYPE_* value, as in the file (not DLT_*)
  uint64_t ts_us = 0;  // microseconds since the epoch
  uint32_t wire_length = 0;
  std::span<const uint8_t> data;  // valid until the next call
};

class PcapngReader {
 public:
  // Reads up to `n` bytes into `to`; returns how many (0: end of input).
  using Read = std::function<size_t(uint8_t* to, size_t n)>;
  static constexpr uint32_t max_block_bytes = 16u << 20;

  explicit PcapngReader(Read read) : read_(std::move(read)) {}

  // True when `head` (the file's first four bytes) is a pcapng section header.
  static bool is_pcapng(std::span<const uint8_t> head);

  // The next packet. False at the end (error empty) or on a damaged file
  // (error says what and where).
  bool next(PcapngPacket* out, std::string* error);

  uint64_t blocks() const { return blocks_; }

 private:
  struct Interface {
    int link_type = -1;
    uint32_t snap_length = 0;
    uint64_t units_per_second = 1'000'000;  // if_tsresol
  };
  bool read_exactly(uint8_t* to, size_t n);
  uint32_t u32(const uint8_t* p) const;
  uint16_t u16(const uint8_t* p) const;
  bool section_header(std::string* error);
  bool interface_description(std::string* error);
  bool packet(uint32_t type, PcapngPacket* out, std::string* error);
  uint64_t to_us(uint64_t ticks, const Interface& i) const;

  Read read_;
  bool swapped_ = false;
  std::vector<Interface> interfaces_;
  std::vector<uint8_t> block_;  // the current block's body (after type and length)
  uint64_t blocks_ = 0;
  uint64_t offset_ = 0;  // in the input, for messages
};

}  // namespace procflow
