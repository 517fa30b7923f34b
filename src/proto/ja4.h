// JA4 TLS client fingerprint (FoxIO's public JA4 specification):
//   a_b_c, where
//   a = transport ("t" TCP) + version ("13", "12", ...: the highest
//       supported_versions entry, else the legacy version) + "d" when an SNI
//       is present, "i" otherwise + cipher count + extension count (two
//       digits each, GREASE ignored, at most 99) + the first and last
//       character of the first ALPN value ("00" without ALPN; the first and
//       last hex digit of that value when either character is not
//       alphanumeric);
//   b = first 12 hex digits of SHA-256 over the sorted cipher suites
//       ("1301,1302,..." lowercase 4-digit hex, GREASE removed);
//   c = the same over the sorted extensions without SNI (0000) and ALPN
//       (0010), then "_" and the signature algorithms in their order (no "_"
//       part without signature algorithms).
//   An empty list hashes to "000000000000".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace procflow {

struct Ja4Input {
  char transport = 't';
  uint16_t version = 0;  // already the highest supported version
  bool has_sni = false;
  std::vector<uint16_t> ciphers, extensions, signature_algorithms;  // as sent, GREASE included
  std::string first_alpn;
};

// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
bool is_tls_grease(uint16_t value);

std::string ja4_fingerprint(const Ja4Input& input);

}  // namespace procflow
