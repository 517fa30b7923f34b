// The parts of an output URI after its scheme: `HOST:PORT[/PATH][?k=v&...]`
// for network sinks, and the `?k=v&...` options every sink may take. Kept
// apart from sink_uri.cpp so each sink's options are parsed the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace procflow {

using UriOptions = std::map<std::string, std::string, std::less<>>;

struct NetworkAddress {
  std::string host;  // a name or an address; an IPv6 literal without its brackets
  uint16_t port = 0;
  std::string path;  // after the port, without the query; may be empty
  UriOptions options;
};

// Splits `text` at its first '?' into what comes before and the options
// after it (`k=v` pairs joined by '&', values %-decoded). False, with
// `error`, for an option without '=' or a bad %-escape.
bool split_options(std::string_view text, std::string_view* before, UriOptions* options,
                   std::string* error);

// `HOST:PORT[/PATH][?OPTIONS]` (IPv6: `[ADDR]:PORT`); nullopt with `error`.
std::optional<NetworkAddress> parse_network_address(std::string_view text, std::string* error);

// An option that must be a whole number in [min, max]; `fallback` when it is
// absent. nullopt (with `error`) when present and not such a number.
std::optional<uint64_t> numeric_option(const UriOptions& options, std::string_view name,
                                       uint64_t fallback, uint64_t min, uint64_t max,
                                       std::string* error);

}  // namespace procflow
