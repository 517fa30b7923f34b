// libFuzzer target: the whole inspector (redaction, content, every decoder,
// server names) on a flow's messages, without nDPI. The first byte picks the
// application protocol nDPI would have named (or none); the rest is cut into
// messages by proto_fuzz_messages.h. Checks the output invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "proto/flow_message_inspector.h"
#include "proto_fuzz_messages.h"
#include "proto_text_fuzz_check.h"

namespace {
constexpr std::string_view app_protocols[] = {"",     "HTTP",   "TLS",  "DNS",         "SSH",
                                              "SMTP", "IMAP",   "POP3", "FTP_CONTROL", "TLS.Google",
                                              "QUIC", "Unknown"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view app_protocol = app_protocols[data[0] % std::size(app_protocols)];
  procflow::FlowMessageInspector inspector(
      procflow::InspectorOptions{.redact = (data[0] & 0x80) == 0});
  procflow::fuzz::MessageCutter cutter(std::span(data + 1, size - 1));
  procflow::fuzz::FuzzMessage message;
  while (cutter.next(message)) {
    procflow::MessageView view{
        message.from_initiator ? procflow::MessageDirection::out : procflow::MessageDirection::in,
        message.from_initiator, message.bytes};
    procflow::MessageFacts facts = inspector.inspect(view, app_protocol);
    procflow::fuzz::check_printable(facts.content);
    procflow::fuzz::check_proto_info(facts.proto_info);
    if ((facts.server_name.empty()) !=
        (facts.server_name_source == procflow::ServerNameSource::none))
      std::abort();
    if (!facts.server_name.empty() && !message.from_initiator) std::abort();
    if (!facts.guessed_protocol.empty() && !app_protocol.empty()) std::abort();
  }
  return 0;
}
