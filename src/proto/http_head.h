// The head of an HTTP/1.x message, recognised by its content: a request line
// (method token, SP, target, SP, HTTP/1.x) with its Host and User-Agent
// headers, or a status line. Works on a message cut anywhere after the first
// line; every field is capped at proto_info_value_cap bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace procflow {

struct HttpRequestHead {
  std::string method, target, version, host, user_agent;
};

struct HttpResponseHead {
  std::string version, status, reason;
};

std::optional<HttpRequestHead> parse_http_request_head(std::string_view text);
std::optional<HttpResponseHead> parse_http_response_head(std::string_view text);

// method=GET; target=/x; version=HTTP/1.1; host=a.test; user_agent=curl/7.88.1
std::string http_request_proto_info(const HttpRequestHead& head);
// version=HTTP/1.1; status=200; reason=OK
std::string http_response_proto_info(const HttpResponseHead& head);

}  // namespace procflow
