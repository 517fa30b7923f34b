#include "util/nspid.h"

#include <charconv>

namespace procflow {

std::vector<uint32_t> nspid_of(std::string_view text) {
  size_t at = text.starts_with("NSpid:") ? 0 : text.find("\nNSpid:");
  if (at == std::string_view::npos) return {};
  at += text[at] == '\n' ? 7 : 6;
  const size_t eol = text.find('\n', at);
  std::string_view line = text.substr(at, eol == std::string_view::npos ? eol : eol - at);
  std::vector<uint32_t> pids;
  while (!line.empty()) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const std::string_view field = line.substr(0, line.find_first_of(" \t"));
    uint32_t pid = 0;
    const auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), pid);
    if (ec != std::errc() || p != field.data() + field.size() || pid == 0 || pids.size() >= 33)
      return {};
    pids.push_back(pid);
    line.remove_prefix(field.size());
  }
  return pids;
}

}  // namespace procflow
