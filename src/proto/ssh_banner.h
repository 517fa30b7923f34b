// The SSH identification string (RFC 4253 4.2): "SSH-protoversion-software
// [comments]". A server may send other lines first, so the first few lines
// are searched; the banner is capped at 255 bytes (the RFC's own limit).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace procflow {

std::optional<std::string> parse_ssh_banner(std::string_view text);

// banner=SSH-2.0-OpenSSH_9.2p1
std::string ssh_proto_info(std::string_view banner);

}  // namespace procflow
