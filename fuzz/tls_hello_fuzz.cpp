// libFuzzer target: arbitrary bytes as the start of a TLS stream (records,
// then a ClientHello or ServerHello); whatever parses must give well-formed
// proto_info, and a JA4 must have its fixed shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/tls_hello.h"
#include "proto_text_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto hello = procflow::parse_tls_hello(std::span(data, size));
  if (!hello) return 0;
  if (hello->sni.size() > 255 || hello->alpn.size() > 16) std::abort();
  // t + 2 version + d/i + 4 digits + 2 ALPN, "_", 12 hex, "_", 12 hex.
  if (!hello->ja4.empty() &&
      (hello->ja4.size() != 36 || hello->ja4[10] != '_' || hello->ja4[23] != '_'))
    std::abort();
  procflow::fuzz::check_proto_info(procflow::tls_proto_info(*hello));
  return 0;
}
