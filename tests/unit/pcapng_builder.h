// Writes pcapng files block by block, in either byte order, for the tests of
// the pcapng reader and of replay: section and interface headers (with
// if_tsresol), enhanced and simple packet blocks, and a block of a type no
// reader knows.
#pragma once

#include <cstdint>
#include <vector>

namespace procflow {

class PcapngBuilder {
 public:
  using Bytes = std::vector<uint8_t>;
  explicit PcapngBuilder(bool big_endian = false) : big_(big_endian) {}

  PcapngBuilder& section() {
    Bytes body;
    put32(body, 0x1A2B3C4D);
    put16(body, 1);
    put16(body, 0);
    put32(body, 0xffffffff);  // section length unknown
    put32(body, 0xffffffff);
    return block(0x0A0D0D0A, body);
  }
  PcapngBuilder& interface(uint16_t link_type, int tsresol = -1) {
    Bytes body;
    put16(body, link_type);
    put16(body, 0);
    put32(body, 65535);
    if (tsresol >= 0) {
      put16(body, 9);
      put16(body, 1);
      body.push_back(static_cast<uint8_t>(tsresol));
      body.resize(body.size() + 3, 0);
      put16(body, 0);  // end of options
      put16(body, 0);
    }
    return block(1, body);
  }
  PcapngBuilder& packet(uint32_t interface, uint64_t ticks, const Bytes& data) {
    Bytes body;
    put32(body, interface);
    put32(body, static_cast<uint32_t>(ticks >> 32));
    put32(body, static_cast<uint32_t>(ticks));
    put32(body, static_cast<uint32_t>(data.size()));
    put32(body, static_cast<uint32_t>(data.size()));
    body.insert(body.end(), data.begin(), data.end());
    body.resize((body.size() + 3) & ~size_t{3}, 0);
    return block(6, body);
  }
  PcapngBuilder& simple(const Bytes& data) {
    Bytes body;
    put32(body, static_cast<uint32_t>(data.size()));
    body.insert(body.end(), data.begin(), data.end());
    body.resize((body.size() + 3) & ~size_t{3}, 0);
    return block(3, body);
  }
  PcapngBuilder& unknown() { return block(0x00000BAD, Bytes(8, 0)); }
  const Bytes& bytes() const { return out_; }

 private:
  PcapngBuilder& block(uint32_t type, const Bytes& body) {
    const uint32_t length = static_cast<uint32_t>(12 + body.size());
    put32(out_, type);
    put32(out_, length);
    out_.insert(out_.end(), body.begin(), body.end());
    put32(out_, length);
    return *this;
  }
  void put32(Bytes& b, uint32_t v) {
    for (int i = 0; i < 4; i++) b.push_back(static_cast<uint8_t>(v >> (big_ ? 24 - 8 * i : 8 * i)));
  }
  void put16(Bytes& b, uint16_t v) {
    for (int i = 0; i < 2; i++) b.push_back(static_cast<uint8_t>(v >> (big_ ? 8 - 8 * i : 8 * i)));
  }
  bool big_;
  Bytes out_;
};

}  // namespace procflow
