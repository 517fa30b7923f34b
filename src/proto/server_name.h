// A name for the responder taken from what a client said (TLS SNI, HTTP
// Host), made fit to stand in for dest_fqdn: lowercased, without a port or a
// trailing dot, and only if it is a syntactically valid hostname (labels of
// 1-63 letters, digits, '-' or '_', at most 253 characters). IP literals are
// refused: they name nothing the address does not already say.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// from_host_header: the value may carry ":port" (and a bracketed IPv6 literal).
std::optional<std::string> normalize_server_name(std::string_view name, bool from_host_header);

}  // namespace procflow
