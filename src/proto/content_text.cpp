#include "proto/content_text.h"

namespace procflow {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
}  // namespace

void append_content_text(std::string& out, std::span<const uint8_t> bytes) {
  // Most captured text is printable, so reserving the input size avoids
  // nearly all reallocations without overcommitting for binary payloads.
  out.reserve(out.size() + bytes.size());
  for (uint8_t byte : bytes) {
    switch (byte) {
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte >= 0x20 && byte <= 0x7e) {
          out += static_cast<char>(byte);
        } else {
          out += "\\x";
          out += hex_digits[byte >> 4];
          out += hex_digits[byte & 0x0f];
        }
    }
  }
}

std::string content_text(std::span<const uint8_t> bytes) {
  std::string out;
  append_content_text(out, bytes);
  return out;
}

}  // namespace procflow
