#include "proto/content_text.h"

namespace procflow {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
}  // namespace

void append_content_text(std::string& out, std::span<const uint8_t> bytes) {
  // Written through a pointer into room for the worst case (4 characters a
  // byte) and trimmed after: per-byte appends cost several times more, and
  // binary payloads (TLS) are mostly escapes.
  size_t start = out.size();
  out.resize(start + bytes.size() * 4);
  char* p = out.data() + start;
  for (uint8_t byte : bytes) {
    if (byte >= 0x20 && byte <= 0x7e && byte != '\\') {
      *p++ = static_cast<char>(byte);
      continue;
    }
    *p++ = '\\';
    switch (byte) {
      case '\\':
        *p++ = '\\';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        *p++ = 'x';
        *p++ = hex_digits[byte >> 4];
        *p++ = hex_digits[byte & 0x0f];
    }
  }
  out.resize(static_cast<size_t>(p - out.data()));
}

std::string content_text(std::span<const uint8_t> bytes) {
  std::string out;
  append_content_text(out, bytes);
  return out;
}

}  // namespace procflow
