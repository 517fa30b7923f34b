#include "service/loss_counts.h"

#include <algorithm>

namespace procflow {
namespace {

struct Reason {
  std::string_view key;
  std::string_view words;
};

constexpr Reason kReasons[PF_DROP_COUNTER_MAX] = {
    {"ring_buffer_full", "records lost: the ring buffer was full"},
    {"flow_map_full", "sockets not tracked: the TCP flow map was full"},
    {"wire_map_full", "TC connection entries not kept (packet counts and flags from the socket)"},
    {"listener_map_full", "listening sockets not remembered: the listener map was full"},
    {"udp_map_full", "UDP flows not tracked: the UDP flow map was full"},
    {"udp_unknown_peer", "UDP datagrams not counted: no known peer"},
    {"dns_too_long", "DNS messages not captured: longer than the capture buffer"},
    {"dns_unreadable", "DNS messages not captured: their bytes could not be read"},
    {"payload_rate", "turns of content not captured: over the payload rate bound"},
    {"tls_rate", "TLS plaintext not captured: over the payload rate bound"},
    {"tls_unreadable", "TLS plaintext not captured: the process memory could not be read"},
    {"payload_unreadable", "content not captured: the packet's bytes could not be read"},
};

}  // namespace

std::string_view record_kind_name(size_t kind) {
  switch (kind) {
    case PF_REC_PROC_EXEC:
      return "exec";
    case PF_REC_PROC_FORK:
      return "fork";
    case PF_REC_PROC_EXIT:
      return "exit";
    case PF_REC_TCP_START:
      return "tcp_start";
    case PF_REC_TCP_OWNER:
      return "tcp_owner";
    case PF_REC_TCP_ESTABLISHED:
      return "tcp_established";
    case PF_REC_TCP_END:
      return "tcp_end";
    case PF_REC_TCP_SNAPSHOT:
      return "tcp_snapshot";
    case PF_REC_UDP_START:
      return "udp_start";
    case PF_REC_UDP_RELEASE:
      return "udp_release";
    case PF_REC_DNS:
      return "dns";
    case PF_REC_TCP_RESET:
      return "tcp_reset";
    case PF_REC_PAYLOAD:
      return "payload";
    case PF_REC_TLS_DATA:
      return "tls_data";
  }
  return "other";
}

std::string_view drop_reason_words(size_t reason) {
  return reason < PF_DROP_COUNTER_MAX ? kReasons[reason].words : "?";
}

std::string_view drop_reason_key(size_t reason) {
  return reason < PF_DROP_COUNTER_MAX ? kReasons[reason].key : "?";
}

LossCounts LossCounts::from_kernel(const std::vector<uint64_t>& slots) {
  LossCounts c;
  for (size_t i = 0; i < c.kernel.size() && i < slots.size(); i++) c.kernel[i] = slots[i];
  for (size_t k = 0; k < kRecordKinds && PF_DROP_RING_BY_KIND + k < slots.size(); k++)
    c.records[k] = slots[PF_DROP_RING_BY_KIND + k];
  return c;
}

LossCounts LossCounts::since(const LossCounts& e) const {
  // Counters only grow; a smaller value (a reset) reads as nothing new.
  auto minus = [](uint64_t now, uint64_t then) { return now > then ? now - then : 0; };
  LossCounts d;
  for (size_t i = 0; i < kernel.size(); i++) d.kernel[i] = minus(kernel[i], e.kernel[i]);
  for (size_t i = 0; i < records.size(); i++) d.records[i] = minus(records[i], e.records[i]);
  d.undecodable = minus(undecodable, e.undecodable);
  d.flows_end_lost = minus(flows_end_lost, e.flows_end_lost);
  d.events_not_written = minus(events_not_written, e.events_not_written);
  return d;
}

bool LossCounts::any() const {
  auto nonzero = [](uint64_t v) { return v != 0; };
  return std::any_of(kernel.begin(), kernel.end(), nonzero) ||
         std::any_of(records.begin(), records.end(), nonzero) || undecodable || flows_end_lost ||
         events_not_written;
}

uint64_t LossCounts::records_lost() const {
  uint64_t total = 0;
  for (uint64_t v : records) total += v;
  return total;
}

}  // namespace procflow
