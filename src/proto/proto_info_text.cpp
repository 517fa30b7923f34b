#include "proto/proto_info_text.h"

#include <cstdint>
#include <span>

#include "proto/content_text.h"

namespace procflow {

namespace {

// Content escaping, plus \xHH for the separators proto_info itself uses.
void append_escaped(std::string& out, std::string_view value, bool escape_comma) {
  while (!value.empty()) {
    size_t separator = value.find_first_of(escape_comma ? ";," : ";");
    std::string_view run = value.substr(0, separator);
    append_content_text(out, std::span(reinterpret_cast<const uint8_t*>(run.data()), run.size()));
    if (separator == std::string_view::npos) break;
    out += value[separator] == ';' ? "\\x3b" : "\\x2c";
    value.remove_prefix(separator + 1);
  }
}

}  // namespace

void ProtoInfoText::start_pair(std::string_view key) {
  if (!text_.empty()) text_ += "; ";
  text_ += key;
  text_ += '=';
}

void ProtoInfoText::add(std::string_view key, std::string_view value) {
  if (value.empty()) return;
  start_pair(key);
  append_escaped(text_, value.substr(0, proto_info_value_cap), false);
}

void ProtoInfoText::add_list(std::string_view key, const std::vector<std::string>& items) {
  size_t budget = proto_info_value_cap;
  bool started = false;
  for (const std::string& item : items) {
    if (item.empty()) continue;
    if (item.size() > budget) break;
    budget -= item.size();
    if (started) {
      text_ += ',';
    } else {
      start_pair(key);
      started = true;
    }
    append_escaped(text_, item, true);
  }
}

}  // namespace procflow
