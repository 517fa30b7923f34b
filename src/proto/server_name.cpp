#include "proto/server_name.h"

#include "procflow/flow_event.h"
#include "proto/text_lines.h"

namespace procflow {

namespace {
constexpr size_t max_name_length = 253;
constexpr size_t max_label_length = 63;
}  // namespace

std::optional<std::string> normalize_server_name(std::string_view name, bool from_host_header) {
  if (from_host_header) {
    if (!name.empty() && name.front() == '[') return std::nullopt;  // an IPv6 literal
    size_t colon = name.rfind(':');
    if (colon != std::string_view::npos) {
      std::string_view port = name.substr(colon + 1);
      for (char c : port)
        if (!text::is_digit(c)) return std::nullopt;
      name = name.substr(0, colon);
    }
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > max_name_length) return std::nullopt;
  if (IpAddress::parse(name)) return std::nullopt;

  size_t label_length = 0;
  bool label_all_digits = true;
  for (char c : name) {
    if (c == '.') {
      if (label_length == 0) return std::nullopt;
      label_length = 0;
      label_all_digits = true;
      continue;
    }
    if (!(text::is_alpha(c) || text::is_digit(c) || c == '-' || c == '_')) return std::nullopt;
    if (++label_length > max_label_length) return std::nullopt;
    label_all_digits = label_all_digits && text::is_digit(c);
  }
  // An all-numeric last label is an address in disguise (e.g. "10.1"), never a TLD.
  if (label_length == 0 || label_all_digits) return std::nullopt;
  return text::to_lower(name);
}

}  // namespace procflow
