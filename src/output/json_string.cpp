// Hot path: every string field of every event. Most strings are plain ASCII (names, paths,
// addresses), so they are checked and copied 8 bytes at a time; only a chunk with something to
// escape or a non-ASCII byte is walked byte by byte.
#include "output/json_string.h"

#include <cstdint>
#include <cstring>

namespace procflow {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

// Length of the well-formed UTF-8 sequence at s[0..n), or 0 when the bytes there are not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// True when one of the 8 bytes is a control character, '"', '\' or not ASCII. Each test is the
// classic "has a zero byte" trick; it may flag a chunk that is fine (a borrow past the first
// hit), never miss one that is not, and a flagged chunk is only walked byte by byte.
bool needs_care(uint64_t x) {
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  auto has_zero = [](uint64_t v) { return (v - ones) & ~v & highs; };
  const uint64_t control = (x - ones * 0x20) & ~x & highs;  // some byte < 0x20
  return ((x & highs) | control | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\'))) != 0;
}

// One ASCII byte: verbatim, or its escape.
char* put_ascii(char* p, unsigned char c) {
  if (c >= 0x20 && c != '"' && c != '\\') {
    *p++ = static_cast<char>(c);
    return p;
  }
  *p++ = '\\';
  switch (c) {
    case '"':
    case '\\':
      *p++ = static_cast<char>(c);
      return p;
    case '\b':
      *p++ = 'b';
      return p;
    case '\t':
      *p++ = 't';
      return p;
    case '\n':
      *p++ = 'n';
      return p;
    case '\f':
      *p++ = 'f';
      return p;
    case '\r':
      *p++ = 'r';
      return p;
  }
  *p++ = 'u';
  *p++ = '0';
  *p++ = '0';
  *p++ = hex_digits[c >> 4];
  *p++ = hex_digits[c & 0xF];
  return p;
}

}  // namespace

char* write_json_string(char* p, std::string_view v) {
  const auto* s = reinterpret_cast<const unsigned char*>(v.data());
  const size_t n = v.size();
  *p++ = '"';
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, s + i, 8);
      if (!needs_care(chunk)) {
        std::memcpy(p, &chunk, 8);
        p += 8;
        i += 8;
        continue;
      }
    }
    // Byte by byte up to the end of this chunk (a sequence may run past it).
    const size_t stop = n - i >= 8 ? i + 8 : n;
    while (i < stop) {
      if (s[i] < 0x80) {
        p = put_ascii(p, s[i++]);
        continue;
      }
      const size_t len = utf8_sequence_length(s + i, n - i);
      if (len == 0) {
        std::memcpy(p, "\xEF\xBF\xBD", 3);  // U+FFFD
        p += 3;
        ++i;
      } else {
        std::memcpy(p, s + i, len);
        p += len;
        i += len;
      }
    }
  }
  *p++ = '"';
  return p;
}

}  // namespace procflow
