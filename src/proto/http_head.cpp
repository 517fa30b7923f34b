#include "proto/http_head.h"

#include "proto/proto_info_text.h"
#include "proto/text_lines.h"

namespace procflow {

namespace {

constexpr size_t max_method_length = 24;
// Headers looked at before giving up on Host and User-Agent.
constexpr int max_header_lines = 64;

std::string capped(std::string_view value) {
  return std::string(value.substr(0, proto_info_value_cap));
}

bool is_http1_version(std::string_view token) {
  return token.size() == 8 && token.substr(0, 7) == "HTTP/1." && text::is_digit(token[7]);
}

bool is_method(std::string_view token) {
  if (token.empty() || token.size() > max_method_length) return false;
  for (char c : token)
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
  return true;
}

// "Name: value" with optional whitespace around the value.
bool header_value(std::string_view line, std::string_view name, std::string_view& value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  if (!text::iequals(line.substr(0, name.size()), name)) return false;
  value = line.substr(name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return true;
}

}  // namespace

std::optional<HttpRequestHead> parse_http_request_head(std::string_view data) {
  text::LineCursor lines(data);
  text::Line line;
  if (!lines.next(line)) return std::nullopt;
  // Exactly three fields separated by single spaces (RFC 9112 3).
  std::string_view request_line = line.text;
  size_t first_space = request_line.find(' ');
  if (first_space == std::string_view::npos) return std::nullopt;
  size_t second_space = request_line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return std::nullopt;
  std::string_view method = request_line.substr(0, first_space);
  std::string_view target = request_line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = request_line.substr(second_space + 1);
  if (!is_method(method) || target.empty() || !is_http1_version(version)) return std::nullopt;

  HttpRequestHead head{capped(method), capped(target), capped(version), {}, {}};
  bool have_host = false, have_agent = false;
  for (int i = 0; i < max_header_lines && lines.next(line) && !line.text.empty(); ++i) {
    std::string_view value;
    if (!have_host && header_value(line.text, "host", value)) {
      head.host = capped(value);
      have_host = true;
    } else if (!have_agent && header_value(line.text, "user-agent", value)) {
      head.user_agent = capped(value);
      have_agent = true;
    }
  }
  return head;
}

std::optional<HttpResponseHead> parse_http_response_head(std::string_view data) {
  text::LineCursor lines(data);
  text::Line line;
  if (!lines.next(line)) return std::nullopt;
  std::string_view status_line = line.text;
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (status_line.size() < 12 || !is_http1_version(status_line.substr(0, 8)) ||
      status_line[8] != ' ')
    return std::nullopt;
  std::string_view status = status_line.substr(9, 3);
  for (char c : status)
    if (!text::is_digit(c)) return std::nullopt;
  std::string_view reason;
  if (status_line.size() > 12) {
    if (status_line[12] != ' ') return std::nullopt;
    reason = status_line.substr(13);
  }
  return HttpResponseHead{capped(status_line.substr(0, 8)), std::string(status), capped(reason)};
}

std::string http_request_proto_info(const HttpRequestHead& head) {
  ProtoInfoText info;
  info.add("method", head.method);
  info.add("target", head.target);
  info.add("version", head.version);
  info.add("host", head.host);
  info.add("user_agent", head.user_agent);
  return info.take();
}

std::string http_response_proto_info(const HttpResponseHead& head) {
  ProtoInfoText info;
  info.add("version", head.version);
  info.add("status", head.status);
  info.add("reason", head.reason);
  return info.take();
}

}  // namespace procflow
