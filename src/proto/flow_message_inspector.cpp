#include "proto/flow_message_inspector.h"

#include <optional>

#include "proto/content_text.h"
#include "proto/dns_summary.h"
#include "proto/http_head.h"
#include "proto/mail_commands.h"
#include "proto/quic_initial.h"
#include "proto/server_name.h"
#include "proto/ssh_banner.h"
#include "proto/text_lines.h"
#include "proto/tls_hello.h"

namespace procflow {

namespace {

enum class Family : uint8_t { unknown, http, tls, quic, dns, ssh, mail };

// nDPI's names (4.2) for what the decoders here understand. nDPI may append
// a sub-protocol after a dot ("TLS.Google"); only the master part counts.
Family family_of(std::string_view app_protocol) {
  app_protocol = app_protocol.substr(0, app_protocol.find('.'));
  using text::iequals;
  if (iequals(app_protocol, "HTTP") || iequals(app_protocol, "HTTP_Proxy") ||
      iequals(app_protocol, "HTTP_Connect"))
    return Family::http;
  // Implicit-TLS mail ports start with a TLS hello like HTTPS.
  if (iequals(app_protocol, "TLS") || iequals(app_protocol, "SMTPS") ||
      iequals(app_protocol, "IMAPS") || iequals(app_protocol, "POPS") ||
      iequals(app_protocol, "FTPS"))
    return Family::tls;
  if (iequals(app_protocol, "QUIC")) return Family::quic;
  if (iequals(app_protocol, "DNS") || iequals(app_protocol, "MDNS") ||
      iequals(app_protocol, "LLMNR"))
    return Family::dns;
  if (iequals(app_protocol, "SSH")) return Family::ssh;
  if (iequals(app_protocol, "SMTP") || iequals(app_protocol, "POP3") ||
      iequals(app_protocol, "IMAP") || iequals(app_protocol, "FTP_CONTROL"))
    return Family::mail;
  return Family::unknown;
}

struct Decoded {
  std::string proto_info;
  std::string protocol;  // the name a content guess gives it
};

void take_server_name(MessageFacts& facts, std::string_view name, bool from_host_header,
                      ServerNameSource source) {
  if (auto normalized = normalize_server_name(name, from_host_header)) {
    facts.server_name = std::move(*normalized);
    facts.server_name_source = source;
  }
}

std::optional<Decoded> decode_http(std::string_view text, bool from_initiator,
                                   MessageFacts& facts) {
  if (auto request = parse_http_request_head(text)) {
    if (from_initiator) take_server_name(facts, request->host, true, ServerNameSource::http_host);
    return Decoded{http_request_proto_info(*request), "HTTP"};
  }
  if (auto response = parse_http_response_head(text))
    return Decoded{http_response_proto_info(*response), "HTTP"};
  return std::nullopt;
}

std::optional<Decoded> decode_tls(std::span<const uint8_t> raw, bool from_initiator,
                                  MessageFacts& facts) {
  auto hello = parse_tls_hello(raw);
  if (!hello) return std::nullopt;
  if (hello->client && from_initiator)
    take_server_name(facts, hello->sni, false, ServerNameSource::tls_sni);
  return Decoded{tls_proto_info(*hello), "TLS"};
}

std::optional<Decoded> decode_quic(std::span<const uint8_t> raw, bool from_initiator,
                                   MessageFacts& facts) {
  auto hello = parse_quic_client_initial(raw);
  if (!hello) return std::nullopt;
  if (from_initiator) take_server_name(facts, hello->sni, false, ServerNameSource::quic_sni);
  return Decoded{tls_proto_info(*hello), "QUIC"};
}

std::optional<Decoded> decode_dns(std::span<const uint8_t> raw) {
  if (auto summary = dns_summary(raw)) return Decoded{std::move(*summary), "DNS"};
  return std::nullopt;
}

std::optional<Decoded> decode_ssh(std::string_view text) {
  if (auto banner = parse_ssh_banner(text)) return Decoded{ssh_proto_info(*banner), "SSH"};
  return std::nullopt;
}

std::optional<Decoded> decode_mail(std::string_view text, bool from_initiator, bool strict) {
  if (auto info = mail_commands_proto_info(text, from_initiator, strict))
    return Decoded{std::move(*info), guess_mail_protocol(text, from_initiator)};
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ServerNameSource source) {
  switch (source) {
    case ServerNameSource::tls_sni:
      return "tls_sni";
    case ServerNameSource::http_host:
      return "http_host";
    case ServerNameSource::quic_sni:
      return "quic_sni";
    case ServerNameSource::none:
      break;
  }
  return "";
}

FlowMessageInspector::FlowMessageInspector(const InspectorOptions& options)
    : redactor_(options.redact) {}

MessageFacts FlowMessageInspector::inspect(const MessageView& message,
                                           std::string_view app_protocol) {
  MessageFacts facts;
  // Text decoders see the redacted bytes, so a credential cannot reach
  // proto_info either; the binary ones (TLS, DNS) need the exact bytes and
  // carry no credentials the rules know.
  std::string redacted = redactor_.redact(message.bytes, message.from_initiator);
  std::span<const uint8_t> redacted_bytes(reinterpret_cast<const uint8_t*>(redacted.data()),
                                          redacted.size());
  append_content_text(facts.content, redacted_bytes);

  std::optional<Decoded> decoded;
  bool initiator = message.from_initiator;
  switch (family_of(app_protocol)) {
    case Family::http:
      decoded = decode_http(redacted, initiator, facts);
      break;
    case Family::tls:
      decoded = decode_tls(message.bytes, initiator, facts);
      break;
    case Family::quic:
      decoded = decode_quic(message.bytes, initiator, facts);
      break;
    case Family::dns:
      decoded = decode_dns(message.bytes);
      break;
    case Family::ssh:
      decoded = decode_ssh(redacted);
      break;
    case Family::mail:
      decoded = decode_mail(redacted, initiator, false);
      break;
    case Family::unknown:
      // Strongest signatures first; DNS last, its wire format is the least distinctive.
      decoded = decode_tls(message.bytes, initiator, facts);
      if (!decoded) decoded = decode_quic(message.bytes, initiator, facts);
      if (!decoded) decoded = decode_http(redacted, initiator, facts);
      if (!decoded) decoded = decode_ssh(redacted);
      if (!decoded) decoded = decode_mail(redacted, initiator, true);
      if (!decoded) decoded = decode_dns(message.bytes);
      if (decoded && app_protocol.empty()) facts.guessed_protocol = decoded->protocol;
      break;
  }
  if (decoded) facts.proto_info = std::move(decoded->proto_info);
  return facts;
}

}  // namespace procflow
