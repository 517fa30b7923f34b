// Byte spans from string literals for the proto tests.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace procflow::test {

inline std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace procflow::test
