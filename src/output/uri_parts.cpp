// Parsing of output URI parts (see uri_parts.h).
#include "output/uri_parts.h"

#include <charconv>

namespace procflow {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

bool split_options(std::string_view text, std::string_view* before, UriOptions* options,
                   std::string* error) {
  const size_t question = text.find('?');
  *before = text.substr(0, question);
  options->clear();
  if (question == std::string_view::npos) return true;
  std::string_view rest = text.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = "option '" + std::string(pair) + "' is not NAME=VALUE";
      return false;
    }
    std::string value;
    if (!percent_decode(pair.substr(eq + 1), &value)) {
      *error = "option '" + std::string(pair) + "' has a bad %-escape";
      return false;
    }
    (*options)[std::string(pair.substr(0, eq))] = std::move(value);
  }
  return true;
}

std::optional<NetworkAddress> parse_network_address(std::string_view text, std::string* error) {
  NetworkAddress out;
  std::string_view address;
  if (!split_options(text, &address, &out.options, error)) return std::nullopt;
  const size_t slash = address.find('/');
  if (slash != std::string_view::npos) {
    out.path = std::string(address.substr(slash));
    address = address.substr(0, slash);
  }
  std::string_view port_text;
  if (address.starts_with('[')) {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      *error = "expected [IPV6]:PORT in '" + std::string(text) + "'";
      return std::nullopt;
    }
    out.host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      *error = "expected HOST:PORT in '" + std::string(text) + "'";
      return std::nullopt;
    }
    out.host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (out.host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    *error = "expected HOST:PORT (port 1-65535) in '" + std::string(text) + "'";
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

std::optional<uint64_t> numeric_option(const UriOptions& options, std::string_view name,
                                       uint64_t fallback, uint64_t min, uint64_t max,
                                       std::string* error) {
  const auto it = options.find(name);
  if (it == options.end()) return fallback;
  uint64_t value = 0;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    *error = std::string(name) + "=" + text + ": expected a whole number from " +
             std::to_string(min) + " to " + std::to_string(max);
    return std::nullopt;
  }
  return value;
}

}  // namespace procflow
