// JSON string values for the event serializer, written straight into a buffer. The escapes are
// those of RapidJSON's Writer with its default flags, which procflow's output was first written
// with and which users and tests compare against: '"' and '\' escaped with a backslash, control
// characters as \b \t \n \f \r or \u00XX (upper-case hex), everything else verbatim. Input that
// is not well-formed UTF-8 is repaired: each byte that does not start a well-formed sequence
// (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
// sequences) becomes U+FFFD, so the output is always valid UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace procflow {

// The most bytes write_json_string() writes for `size` input bytes: a control character becomes
// a 6-byte escape, the worst case, plus the two quotes.
constexpr size_t json_string_bound(size_t size) {
  return 2 + 6 * size;
}

// Writes `v` quoted, escaped and repaired at `p`; returns the end of what it wrote. `p` must have
// room for json_string_bound(v.size()) bytes.
char* write_json_string(char* p, std::string_view v);

}  // namespace procflow
