// Real TLS hellos for the proto tests: OpenSSL 3 run in-process over memory
// BIOs, so the bytes are what a real client and server put on the wire, with
// no sockets, files or network. The server's key and certificate are made
// here and thrown away.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace procflow::test {

struct TlsClientOptions {
  std::string sni;
  std::vector<std::string> alpn;
  bool max_tls12 = false;  // offer TLS 1.2 at most (no supported_versions)
};

struct TlsExchange {
  std::vector<uint8_t> client_hello;  // the client's first flight
  std::vector<uint8_t> server_hello;  // the server's first flight (ServerHello first)
};

// The server selects "h2" when offered and only TLS_AES_128_GCM_SHA256 (TLS
// 1.3) or ECDHE-ECDSA-AES128-GCM-SHA256 (TLS 1.2).
TlsExchange tls_exchange(const TlsClientOptions& options);

}  // namespace procflow::test
