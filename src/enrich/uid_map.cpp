// Parsing and applying /proc/<pid>/uid_map; see uid_map.h.
#include "enrich/uid_map.h"

#include <charconv>

namespace procflow {
namespace {

// The kernel allows 340 ranges; a longer file is not a uid_map.
constexpr size_t kMaxRanges = 340;

std::optional<uint64_t> next_number(std::string_view& line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc() || end == line.data()) return std::nullopt;
  line.remove_prefix(static_cast<size_t>(end - line.data()));
  return value;
}

}  // namespace

std::optional<UidMap> UidMap::parse(std::string_view text) {
  constexpr uint64_t kUidSpace = uint64_t{1} << 32;
  UidMap map;
  map.identity_ = false;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto inside = next_number(line);
    auto outside = next_number(line);
    auto count = next_number(line);
    if (!inside || !outside || !count || *count == 0 || *inside + *count > kUidSpace ||
        *outside + *count > kUidSpace || line.find_first_not_of(" \t") != std::string_view::npos)
      return std::nullopt;
    if (map.ranges_.size() == kMaxRanges) return std::nullopt;
    map.ranges_.push_back(
        {static_cast<uint32_t>(*inside), static_cast<uint32_t>(*outside), *count});
  }
  return map;
}

std::optional<uint32_t> UidMap::to_inside(uint32_t uid) const {
  if (identity_) return uid;
  for (const Range& r : ranges_) {
    if (uid >= r.outside && uid - r.outside < r.count)
      return static_cast<uint32_t>(r.inside + (uid - r.outside));
  }
  return std::nullopt;
}

}  // namespace procflow
