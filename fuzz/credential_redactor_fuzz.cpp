// libFuzzer target: a flow's messages (cut by proto_fuzz_messages.h: the
// fuzzer picks the splits and who sent each) through one CredentialRedactor,
// so its per-flow state (split lines, SASL exchanges) is driven in any order.
// Checks: disabled changes nothing; enabled only ever replaces bytes by the
// marker, so removing the markers' effect, the output is never longer than
// the input plus the markers it counted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/credential_redactor.h"
#include "proto_fuzz_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  procflow::CredentialRedactor on(true), off(false);
  procflow::fuzz::MessageCutter cutter(std::span(data, size));
  procflow::fuzz::FuzzMessage message;
  while (cutter.next(message)) {
    uint64_t before = on.redactions();
    std::string redacted = on.redact(message.bytes, message.from_initiator);
    uint64_t markers = on.redactions() - before;
    if (redacted.size() > message.bytes.size() + markers * procflow::redaction_marker.size())
      std::abort();
    if (markers == 0 &&
        redacted != std::string_view(reinterpret_cast<const char*>(message.bytes.data()),
                                     message.bytes.size()))
      std::abort();
    std::string plain = off.redact(message.bytes, message.from_initiator);
    if (plain !=
        std::string_view(reinterpret_cast<const char*>(message.bytes.data()), message.bytes.size()))
      std::abort();
  }
  return 0;
}
