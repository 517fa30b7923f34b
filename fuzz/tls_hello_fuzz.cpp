// libFuzzer target: arbitrary bytes as the start of a TLS stream (records,
// then a ClientHello or ServerHello), as a QUIC datagram (its header parsing
// and decryption) and as the frames of a decrypted QUIC Initial (CRYPTO
// reassembly); whatever parses must give well-formed proto_info, and a JA4
// must have its fixed shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>

#include "proto/quic_initial.h"
#include "proto/tls_hello.h"
#include "proto_text_fuzz_check.h"

namespace {

void check(const std::optional<procflow::TlsHello>& hello) {
  if (!hello) return;
  if (hello->sni.size() > 255 || hello->alpn.size() > 16) std::abort();
  // t/q + 2 version + d/i + 4 digits + 2 ALPN, "_", 12 hex, "_", 12 hex.
  if (!hello->ja4.empty() &&
      (hello->ja4.size() != 36 || hello->ja4[10] != '_' || hello->ja4[23] != '_'))
    std::abort();
  procflow::fuzz::check_proto_info(procflow::tls_proto_info(*hello));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  check(procflow::parse_tls_hello(bytes));
  check(procflow::parse_quic_client_initial(bytes));
  check(procflow::parse_quic_initial_frames(bytes));
  return 0;
}
