// Small helpers for the line-based protocols (HTTP heads, mail commands,
// credential rules): lines split on LF with an optional CR, ASCII-only
// case-insensitive matching (protocol keywords are ASCII; locale rules must
// not apply to network bytes), and space-separated tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace procflow::text {

inline std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

inline bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

inline std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// One line of a message: its text without the line ending, and whether the
// line ending was seen (a captured message may stop mid-line).
struct Line {
  std::string_view text;
  bool terminated = false;
};

// Walks the lines of `data`; next() returns false when none are left.
class LineCursor {
 public:
  explicit LineCursor(std::string_view data) : rest_(data) {}
  bool next(Line& line) {
    if (rest_.empty()) return false;
    size_t newline = rest_.find('\n');
    if (newline == std::string_view::npos) {
      line = {rest_, false};
      rest_ = {};
      return true;
    }
    std::string_view text = rest_.substr(0, newline);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line = {text, true};
    rest_.remove_prefix(newline + 1);
    return true;
  }

 private:
  std::string_view rest_;
};

// Splits off the next space-delimited token (leading spaces skipped).
inline std::string_view next_token(std::string_view& text) {
  size_t start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  size_t end = text.find(' ');
  std::string_view token = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return token;
}

}  // namespace procflow::text
