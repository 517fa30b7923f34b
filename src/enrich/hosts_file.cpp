// Parsing of hosts(5) text into an address -> name table.
#include "enrich/hosts_file.h"

#include <algorithm>
#include <fstream>

namespace procflow {
namespace {

constexpr std::string_view kBlanks = " \t\r\v\f";

// Next blank-separated field of `line`, consuming it; "" at the end.
std::string_view next_field(std::string_view& line) {
  const size_t start = line.find_first_not_of(kBlanks);
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const size_t end = std::min(line.find_first_of(kBlanks), line.size());
  const std::string_view field = line.substr(0, end);
  line.remove_prefix(end);
  return field;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > HostsTable::kMaxNameLength) return false;
  // Printable ASCII only: the name ends up in JSON and terminal output.
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool address_less(const IpAddress& a, const IpAddress& b) {
  if (a.family != b.family) return a.family < b.family;
  return a.bytes < b.bytes;
}

}  // namespace

HostsTable HostsTable::parse(std::string_view text) {
  HostsTable table;
  text = text.substr(0, kMaxBytes);
  while (!text.empty() && table.entries_.size() < kMaxEntries) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    line = line.substr(0, line.find('#'));

    const std::string_view address_text = next_field(line);
    const std::string_view name = next_field(line);
    if (address_text.empty() || !valid_name(name)) continue;
    const auto address = IpAddress::parse(address_text);
    if (!address) continue;
    const IpAddress key = address->unmapped();
    const bool unspecified =
        std::all_of(key.bytes.begin(), key.bytes.end(), [](uint8_t b) { return b == 0; });
    if (unspecified) continue;  // 0.0.0.0 or ::
    table.entries_.emplace_back(key, std::string(name));
  }
  // Stable, so among duplicates the first line's entry comes first and is kept.
  std::stable_sort(table.entries_.begin(), table.entries_.end(),
                   [](const auto& a, const auto& b) { return address_less(a.first, b.first); });
  auto duplicate = [](const auto& a, const auto& b) { return a.first == b.first; };
  table.entries_.erase(std::unique(table.entries_.begin(), table.entries_.end(), duplicate),
                       table.entries_.end());
  table.entries_.shrink_to_fit();
  return table;
}

HostsTable HostsTable::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot open " + path;
    return {};
  }
  std::string text(kMaxBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    if (error) *error = "cannot read " + path;
    return {};
  }
  text.resize(static_cast<size_t>(in.gcount()));
  // Cut at the last full line so a file over the limit does not end in half a name.
  if (text.size() == kMaxBytes) text.resize(text.rfind('\n') + 1);
  return parse(text);
}

std::string_view HostsTable::lookup(const IpAddress& address) const {
  const IpAddress key = address.unmapped();
  const auto it = std::lower_bound(
      entries_.begin(), entries_.end(), key,
      [](const auto& entry, const IpAddress& a) { return address_less(entry.first, a); });
  if (it == entries_.end() || !(it->first == key)) return {};
  return it->second;
}

}  // namespace procflow
