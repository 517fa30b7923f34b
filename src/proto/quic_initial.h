// The TLS ClientHello inside a QUIC version 1 client Initial packet (RFC
// 9000 17.2.2). Initial packets are encrypted, but with keys anyone can
// derive from the packet's own Destination Connection ID (RFC 9001 5.2), so
// the SNI, ALPN and JA4 ("q" transport) can be read like TLS over TCP. Only
// the first Initial of the datagram is decoded, and only the CRYPTO bytes
// that are contiguous from offset 0: a ClientHello spread over two Initial
// packets (large post-quantum key shares) gives what its first packet holds.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "proto/tls_hello.h"

namespace procflow {

struct QuicInitialKeys {
  std::array<uint8_t, 16> key{};
  std::array<uint8_t, 12> iv{};
  std::array<uint8_t, 16> hp{};
};

// The client's Initial packet protection keys for a Destination Connection ID.
std::optional<QuicInitialKeys> quic_client_initial_keys(std::span<const uint8_t> dcid);

// std::nullopt unless the datagram starts with a QUIC v1 Initial that
// decrypts and holds (the start of) a ClientHello.
std::optional<TlsHello> parse_quic_client_initial(std::span<const uint8_t> datagram);

// The decrypted payload's part: the frames of a client Initial (CRYPTO
// frames in any order, PADDING, PING, ACK) to the ClientHello in them.
// Public so that it can be fuzzed without valid encryption.
std::optional<TlsHello> parse_quic_initial_frames(std::span<const uint8_t> frames);

}  // namespace procflow
