// A PF_REC_TLS_DATA record as the domain type the message pipeline uses:
// plaintext an OpenSSL call of a process moved on a socket, before
// encryption (sent) or after decryption (received).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "procflow_abi.h"

namespace procflow {

struct TlsPlaintext {
  uint64_t ktime_ns = 0;    // boot-time clock, like every record's
  uint64_t sock_id = 0;     // the socket's kernel address, as in pf_tcp_start; 0: unknown
  bool sent = false;        // SSL_write*: the process sent it; else it received it
  bool turn_start = false;  // the first bytes of a new turn on this socket
  uint32_t data_len = 0;    // plaintext bytes the call moved (bytes holds the first)
  pf_task task{};
  std::span<const uint8_t> bytes;  // the copied plaintext; valid while the record is
};

// nullopt when the record contradicts itself: no bytes or more than
// PF_TLS_MAX copied, more copied than the call moved, an unknown direction.
std::optional<TlsPlaintext> tls_plaintext_of(const pf_tls_data& record);

}  // namespace procflow
