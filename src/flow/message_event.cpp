#include "flow/message_event.h"

namespace procflow {
namespace {

bool name_is_weaker(NameSource s) {
  return s == NameSource::none || s == NameSource::ptr;
}

NameSource name_source_of(ServerNameSource s) {
  switch (s) {
    case ServerNameSource::http_host:
      return NameSource::http_host;
    case ServerNameSource::quic_sni:
      return NameSource::quic_sni;
    default:
      return NameSource::tls_sni;
  }
}

}  // namespace

void name_responder_by(const MessageFacts& facts, FlowLabels* labels) {
  if (facts.server_name.empty() || !labels->named || !name_is_weaker(labels->dest_source)) return;
  labels->dest_fqdn = facts.server_name;
  labels->dest_source = name_source_of(facts.server_name_source);
  labels->dest_canonical.clear();
  labels->dest_conflict.clear();
}

void fill_message_event(FlowEvent& ev, FlowMessage& m, uint64_t timestamp_us) {
  ev.action = FlowAction::message;
  ev.timestamp_us = timestamp_us;
  ev.application_protocol = m.application_protocol;
  ev.content = std::move(m.facts.content);
  ev.proto_info = std::move(m.facts.proto_info);
  ev.message_direction = m.direction;
  ev.content_source = m.source;
  ev.content_truncated = m.truncated;
  ev.in_bytes = m.in_bytes;
  ev.out_bytes = m.out_bytes;
}

}  // namespace procflow
