// Invariants every proto_info string must keep, whatever the input: only
// printable ASCII (the escaping guarantees it) and "; " only as a separator,
// so a value never forges a pair. Traps so libFuzzer reports a violation.
#pragma once

#include <cstdlib>
#include <string_view>

namespace procflow::fuzz {

inline void check_printable(std::string_view text) {
  for (char c : text)
    if (c < 0x20 || c > 0x7e) std::abort();
}

inline void check_proto_info(std::string_view info) {
  check_printable(info);
  // Every pair is key=value with a key of lowercase letters, digits and "_".
  size_t start = 0;
  while (start < info.size()) {
    size_t end = info.find("; ", start);
    std::string_view pair = info.substr(start, end == std::string_view::npos ? end : end - start);
    size_t equals = pair.find('=');
    if (equals == 0 || equals == std::string_view::npos) std::abort();
    for (char c : pair.substr(0, equals))
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) std::abort();
    if (end == std::string_view::npos) break;
    start = end + 2;
  }
}

}  // namespace procflow::fuzz
