// The one entry point for the `message` action's layer-7 fields: one
// inspector per flow turns each captured message into `content` (redacted),
// `proto_info` and, when the message names the responder, a server name.
// Pure userspace and bounded: it only reads the given bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/credential_redactor.h"
#include "proto/message_direction.h"

namespace procflow {

struct InspectorOptions {
  bool redact = true;  // credentials become "[redacted]" in content and proto_info
};

struct MessageView {
  MessageDirection direction;      // relative to the local socket
  bool from_initiator;             // the side that opened the connection sent it
  std::span<const uint8_t> bytes;  // the first bytes of one turn, as captured
  bool truncated = false;          // the turn was longer than what was captured
};

enum class ServerNameSource : uint8_t { none, tls_sni, http_host, quic_sni };

struct MessageFacts {
  std::string content;     // content_text of the redacted bytes
  std::string proto_info;  // "" when nothing decodable
  // A name for the responder this message gave: lowercased, no trailing dot,
  // a valid hostname, never an IP literal. Only from the initiator's messages.
  std::string server_name;
  ServerNameSource server_name_source = ServerNameSource::none;
  // "HTTP", "TLS", "QUIC", "SSH", "DNS", "SMTP", "FTP", "POP3", "IMAP" from the bytes,
  // only when app_protocol was "" (and "" when the bytes did not say).
  std::string guessed_protocol;
};

std::string_view to_string(ServerNameSource source);  // "", "tls_sni", "http_host", "quic_sni"

class FlowMessageInspector {
 public:
  explicit FlowMessageInspector(const InspectorOptions& options);

  // app_protocol: nDPI's name when known ("TLS", "HTTP", ...), "" otherwise;
  // then (and for names no decoder here knows) decoders are tried by content.
  MessageFacts inspect(const MessageView& message, std::string_view app_protocol);

  uint64_t redactions() const { return redactor_.redactions(); }

 private:
  CredentialRedactor redactor_;
};

}  // namespace procflow
