// Range checks for the numeric command-line options, as CLI11 validators. Every numeric option
// of every command has one, so a value outside its documented range is a usage error (exit
// status 2) whose message can be read, e.g.
//   --udp-idle-timeout: 1e308 is out of range: expected seconds between 0.1 and 86400
// CLI's own checks fall short: PositiveNumber lets NaN through (NaN <= 0 is false) and its
// message prints DBL_MAX with %f, 309 digits; Range has the same rendering.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace procflow {

// A closed interval of finite real numbers, e.g. {0.1, 86400, "seconds"}.
struct RealRange {
  double lo;
  double hi;
  std::string_view unit;  // what the number counts, plural: "seconds", "queries per second"
};

// A closed interval of whole numbers, e.g. {1, 65535, "a port"}.
struct WholeRange {
  uint64_t lo;
  uint64_t hi;
  std::string_view what;  // what one number names, with its article: "a port", "a pid"
};

// Validators for CLI::Option::transform (not check): besides rejecting a bad value, they
// rewrite a good one in plain decimal, so CLI11's own conversion afterwards reads the number
// that was checked. (It parses integers with base 0: "010" would be 8 and "0x50" 80.)
// The help text shows the range, e.g. "SECONDS:0.1..86400".
CLI::Validator in_range(const RealRange& range);
CLI::Validator in_range(const WholeRange& range);

// The shortest decimal text that reads back as `value`: "0.1", "86400", "31536000", "1e+308".
std::string readable_number(double value);

}  // namespace procflow
