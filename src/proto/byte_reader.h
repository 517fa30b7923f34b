// A cursor over untrusted bytes that can only move forward and never past the
// end: every read says whether it succeeded, and after a failed read the
// reader is exhausted, so a decoder that forgets one check still cannot overread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace procflow {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  bool u8(uint8_t& value) {
    if (!need(1)) return false;
    value = bytes_[0];
    bytes_ = bytes_.subspan(1);
    return true;
  }
  bool u16(uint16_t& value) {
    if (!need(2)) return false;
    value = static_cast<uint16_t>(bytes_[0] << 8 | bytes_[1]);
    bytes_ = bytes_.subspan(2);
    return true;
  }
  bool u24(uint32_t& value) {
    if (!need(3)) return false;
    value =
        static_cast<uint32_t>(bytes_[0]) << 16 | static_cast<uint32_t>(bytes_[1]) << 8 | bytes_[2];
    bytes_ = bytes_.subspan(3);
    return true;
  }
  bool skip(size_t n) {
    if (!need(n)) return false;
    bytes_ = bytes_.subspan(n);
    return true;
  }
  bool take(size_t n, std::span<const uint8_t>& out) {
    if (!need(n)) return false;
    out = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return true;
  }
  // Up to n bytes: what a truncated capture still holds of a longer field.
  std::span<const uint8_t> take_at_most(size_t n) {
    std::span<const uint8_t> out = bytes_.first(n < bytes_.size() ? n : bytes_.size());
    bytes_ = bytes_.subspan(out.size());
    return out;
  }

 private:
  bool need(size_t n) {
    if (bytes_.size() >= n) return true;
    bytes_ = {};
    return false;
  }
  std::span<const uint8_t> bytes_;
};

}  // namespace procflow
