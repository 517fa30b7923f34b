#include "collect/tls_plaintext.h"

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
  out.bytes = {r.data, r.copied};
  return out;
}

}  // namespace procflow
