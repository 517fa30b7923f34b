// Shared by the proto fuzz targets: cuts one fuzz input into the messages of
// a flow. Each message is a 2-byte header (bit 0 of the first: sent by the
// initiator; the other 15 bits, big-endian: its length, 0 or too long meaning
// "the rest") and its bytes, so the fuzzer controls the splits, the
// directions and the order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace procflow::fuzz {

struct FuzzMessage {
  bool from_initiator = false;
  std::span<const uint8_t> bytes;
};

class MessageCutter {
 public:
  explicit MessageCutter(std::span<const uint8_t> input) : rest_(input) {}
  bool next(FuzzMessage& message) {
    if (rest_.size() < 2) return false;
    uint8_t header = rest_[0];
    size_t length = static_cast<size_t>(header >> 1) << 8 | rest_[1];
    rest_ = rest_.subspan(2);
    if (length == 0 || length > rest_.size()) length = rest_.size();
    message = {(header & 1) != 0, rest_.first(length)};
    rest_ = rest_.subspan(length);
    return true;
  }

 private:
  std::span<const uint8_t> rest_;
};

}  // namespace procflow::fuzz
