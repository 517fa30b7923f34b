#include "top/top_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "output/text_formatter.h"

namespace procflow {

std::string sparkline(const std::vector<double>& values, bool utf8) {
  static constexpr const char* blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                           "\u2585", "\u2586", "\u2587", "\u2588"};
  static constexpr char ascii[] = {'.', ':', '-', '=', '#'};
  const size_t levels = utf8 ? std::size(blocks) : std::size(ascii);
  const double top = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  std::string out;
  for (double v : values) {
    if (!(v > 0) || !(top > 0)) {
      out += ' ';
      continue;
    }
    const size_t level =
        std::min(levels - 1, static_cast<size_t>(std::ceil(v / top * double(levels))) - 1);
    if (utf8)
      out += blocks[level];
    else
      out += ascii[level];
  }
  return out;
}

std::string bytes_text(uint64_t bytes) {
  std::string out;
  append_bytes(out, bytes);
  return out;
}

std::string rate_text(double bytes_per_second) {
  return bytes_text(bytes_per_second > 0 ? static_cast<uint64_t>(bytes_per_second) : 0) + "/s";
}

std::string per_second_text(double value) {
  char buf[32];
  if (value <= 0) return "0";
  if (value < 10)
    std::snprintf(buf, sizeof buf, "%.1f", value);
  else
    std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
}

std::string printable(std::string_view text, bool utf8) {
  std::string out;
  out.reserve(text.size());
  bool in_character = false;  // the last byte began or continued a kept character
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) == 0x80) {  // a continuation: part of the character before
      if (in_character) out += ch;
      continue;
    }
    in_character = false;
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c < 0x80) {
      out += ch;
    } else if (utf8 && c >= 0xC2 && c <= 0xF4) {
      out += ch;
      in_character = true;
    } else {
      out += '?';
    }
  }
  return out;
}

std::string fit(std::string_view text, size_t width, bool right) {
  size_t columns = 0, end = 0;
  for (; end < text.size(); end++) {
    const bool starts = (static_cast<unsigned char>(text[end]) & 0xC0) != 0x80;
    if (starts && columns == width) break;
    if (starts) columns++;
  }
  std::string out(text.substr(0, end));
  const std::string pad(width - columns, ' ');
  return right ? pad + out : out + pad;
}

}  // namespace procflow
