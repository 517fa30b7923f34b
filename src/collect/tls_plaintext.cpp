#include "collect/tls_plaintext.h"

#include <cstdio>

namespace procflow {

std::optional<TlsPlaintext> tls_plaintext_of(const pf_tls_data& r) {
  if (r.copied == 0 || r.copied > PF_TLS_MAX || r.copied > r.data_len) return std::nullopt;
  if (r.direction != PF_TLS_WRITE && r.direction != PF_TLS_READ) return std::nullopt;
  TlsPlaintext out;
  out.ktime_ns = r.hdr.ktime_ns;
  out.sock_id = r.sock_id;
  out.sent = r.direction == PF_TLS_WRITE;
  out.turn_start = r.turn_start != 0;
  out.data_len = r.data_len;
  out.task = r.task;
  out.bytes.assign(r.data, r.data + r.copied);
  return out;
}

std::string escaped_prefix(const std::vector<uint8_t>& bytes, size_t max) {
  std::string out;
  const size_t n = bytes.size() < max ? bytes.size() : max;
  for (size_t i = 0; i < n; i++) {
    const uint8_t c = bytes[i];
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  return out;
}

}  // namespace procflow
