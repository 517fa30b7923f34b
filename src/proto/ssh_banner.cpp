#include "proto/ssh_banner.h"

#include "proto/proto_info_text.h"
#include "proto/text_lines.h"

namespace procflow {

namespace {
constexpr int max_lines_before_banner = 8;
constexpr size_t max_banner_length = 255;
}  // namespace

std::optional<std::string> parse_ssh_banner(std::string_view data) {
  text::LineCursor lines(data);
  text::Line line;
  for (int i = 0; i < max_lines_before_banner && lines.next(line); ++i) {
    if (line.text.substr(0, 4) != "SSH-") continue;
    // SSH-<protoversion>-<software>: the version is digits and dots.
    std::string_view rest = line.text.substr(4);
    size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string_view::npos || dash + 1 >= rest.size()) return std::nullopt;
    for (char c : rest.substr(0, dash))
      if (!text::is_digit(c) && c != '.') return std::nullopt;
    return std::string(line.text.substr(0, max_banner_length));
  }
  return std::nullopt;
}

std::string ssh_proto_info(std::string_view banner) {
  ProtoInfoText info;
  info.add("banner", banner);
  return info.take();
}

}  // namespace procflow
