#include "cli/numeric_option.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace procflow {
namespace {

// "<value> is <problem>: <expected>", quoting the value as typed but shortened: the message
// stays one readable line however long the value was.
std::string complaint(std::string_view text, std::string_view problem,
                      const std::string& expected) {
  constexpr size_t max_shown = 32;
  if (text.empty()) return "empty value: " + expected;
  std::string shown(text.substr(0, max_shown));
  if (text.size() > max_shown) shown += "...";
  return shown + " is " + std::string(problem) + ": " + expected;
}

std::string expected(const RealRange& range) {
  return "expected " + std::string(range.unit) + " between " + readable_number(range.lo) + " and " +
         readable_number(range.hi);
}

std::string expected(const WholeRange& range) {
  return "expected " + std::string(range.what) + " between " + std::to_string(range.lo) + " and " +
         std::to_string(range.hi);
}

// A sign in front is allowed, as strtod and strtoull allow it; std::from_chars does not.
std::string_view without_plus(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return text;
}

std::string check_real(std::string& text, const RealRange& range) {
  const std::string_view digits = without_plus(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range && end == digits.data() + digits.size())
    return complaint(text, "out of range", expected(range));  // e.g. 1e400
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      std::isnan(value))
    return complaint(text, "not a number", expected(range));
  // Infinities and -0 fail here like any other value outside [lo, hi].
  if (!(value >= range.lo && value <= range.hi))
    return complaint(text, "out of range", expected(range));
  text = readable_number(value);
  return {};
}

std::string check_whole(std::string& text, const WholeRange& range) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  digits = negative ? digits.substr(1) : without_plus(digits);
  const bool only_digits =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!only_digits) return complaint(text, "not a whole number", expected(range));
  uint64_t value = 0;
  // Only digits are left, so the one way from_chars can fail is a number above 2^64 - 1.
  const bool too_large =
      std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc();
  if ((negative && value != 0) || too_large || value < range.lo || value > range.hi)
    return complaint(text, "out of range", expected(range));
  text = std::to_string(value);
  return {};
}

}  // namespace

std::string readable_number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

CLI::Validator in_range(const RealRange& range) {
  return CLI::Validator([range](std::string& text) { return check_real(text, range); },
                        readable_number(range.lo) + ".." + readable_number(range.hi));
}

CLI::Validator in_range(const WholeRange& range) {
  return CLI::Validator([range](std::string& text) { return check_whole(text, range); },
                        std::to_string(range.lo) + ".." + std::to_string(range.hi));
}

}  // namespace procflow
