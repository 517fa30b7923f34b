// TLS ClientHello and ServerHello, read from the start of a TCP stream's
// first message in that direction: one or more handshake records (content
// type 22), the first handshake message in them. A hello cut short by the
// capture is decoded as far as it goes (JA4 needs the whole ClientHello and
// is left out otherwise); nothing is read past the given bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace procflow {

struct TlsHello {
  bool client = true;              // ClientHello; false: ServerHello
  uint16_t version = 0;            // client: highest offered; server: selected (0 if not seen)
  std::string sni;                 // client
  std::vector<std::string> alpn;   // client: offered, in order; server: the one selected
  std::optional<uint16_t> cipher;  // server
  std::string ja4;                 // client, complete hellos only
};

std::optional<TlsHello> parse_tls_hello(std::span<const uint8_t> bytes);

// The same for a bare handshake message (no record layer), as QUIC carries it
// in CRYPTO frames; ja4_transport is JA4's first character ('t' TCP, 'q' QUIC).
std::optional<TlsHello> parse_tls_handshake(std::span<const uint8_t> handshake, char ja4_transport);

// "TLS1.3", "TLS1.2", "TLS1.1", "TLS1.0", "SSL3.0", else "0x0304"-style hex.
std::string tls_version_name(uint16_t version);

// handshake=client_hello; version=TLS1.3; sni=a.test; alpn=h2,http/1.1; ja4=...
// handshake=server_hello; version=TLS1.2; cipher=0xc02b; alpn=h2
std::string tls_proto_info(const TlsHello& hello);

}  // namespace procflow
