// FlowTable's `message` events: captured chunks and TLS plaintext joined to
// their flows, gathered into messages (flow_conversation.h), emitted after
// the flow's start and before its end.
#include <algorithm>

#include "flow/flow_table.h"
#include "flow/message_event.h"

namespace procflow {
namespace {

ConversationKey key_of(const pf_tuple& t) {
  const IpAddress src = tuple_address(t.saddr, t.family);
  const IpAddress dst = tuple_address(t.daddr, t.family);
  return conversation_key(src, t.sport, dst, t.dport, ip_proto_tcp);
}

}  // namespace

void FlowTable::index_conversation(Tracked& f) {
  if (!ctx_.conversations || f.conversing || !tuple_complete(f)) return;
  f.conversation_key = key_of(f.tuple);
  conversations_.add(f.conversation_key, f.sock_id);
  f.conversing = true;
  // Chunks that came before the flow was known are its first.
  unmatched_.take(f.conversation_key, [&](const PayloadChunk& c) { add_chunk(f, c); });
}

void FlowTable::unindex_conversation(Tracked& f) {
  if (!f.conversing) return;
  conversations_.remove(f.conversation_key, f.sock_id);
  f.conversing = false;
}

FlowTable::Tracked* FlowTable::find_flow(uint64_t sock_id) {
  if (auto it = open_.find(sock_id); it != open_.end()) return &it->second;
  for (auto it = ending_.rbegin(); it != ending_.rend(); ++it)
    if (it->node.key() == sock_id) return &it->node.mapped();
  return nullptr;
}

void FlowTable::on_payload(const PayloadChunk& c) {
  if (!ctx_.conversations) return;
  const ConversationKey key = conversation_key(c.src, c.sport, c.dst, c.dport, c.transport);
  const std::vector<uint64_t>* ids = conversations_.find(key);
  if (!ids) {
    unmatched_.keep(key, c);
    return;
  }
  // add_chunk never changes the index: the flows are walked in place.
  for (uint64_t id : *ids)
    if (Tracked* f = find_flow(id)) add_chunk(*f, c);
}

FlowConversation& FlowTable::conversation_of(Tracked& f) {
  if (!f.conversation)
    f.conversation = std::make_unique<FlowConversation>(*ctx_.conversations, f.initiated);
  return *f.conversation;
}

void FlowTable::add_chunk(Tracked& f, const PayloadChunk& c) {
  // The local socket's end of the tuple: the initiator's if it initiated.
  const IpAddress local = f.initiated ? tuple_address(f.tuple.saddr, f.tuple.family)
                                      : tuple_address(f.tuple.daddr, f.tuple.family);
  const uint16_t local_port = f.initiated ? f.tuple.sport : f.tuple.dport;
  const bool sent = c.sport == local_port && c.src.unmapped() == local.unmapped();
  conversation_of(f).add_wire(c, sent ? MessageDirection::out : MessageDirection::in, f.held);
  if (f.conversation->pending()) talking_.insert(f.sock_id);
  deliver(f);
}

void FlowTable::on_plaintext(uint64_t sock_id, MessageDirection direction, bool turn_start,
                             uint64_t ktime_ns, std::span<const uint8_t> bytes, bool truncated) {
  if (!ctx_.conversations) return;
  Tracked* f = find_flow(sock_id);
  if (!f) {
    stats_.payload_unmatched++;
    return;
  }
  conversation_of(*f).add_plaintext(direction, turn_start, ktime_ns, bytes, truncated, f->held);
  if (f->conversation->pending()) talking_.insert(f->sock_id);
  deliver(*f);
}

void FlowTable::deliver(Tracked& f) {
  if (!f.start_emitted || f.held.empty()) return;
  for (FlowMessage& m : f.held) emit_message(f, m);
  f.held.clear();
}

void FlowTable::emit_message(Tracked& f, FlowMessage& m) {
  stats_.messages++;
  name_responder_by(m.facts, &f.labels);
  if (!fill_common(event_, f)) return;
  fill_message_event(event_, m, ctx_.clock.to_unix_us(m.ktime_ns));
  emit_(event_);
}

void FlowTable::finish_conversation(Tracked& f) {
  talking_.erase(f.sock_id);
  if (!f.conversation) return;
  f.conversation->finish(f.held);
  deliver(f);
}

void FlowTable::flush_quiet_turns(uint64_t now_ns) {
  for (auto it = talking_.begin(); it != talking_.end();) {
    Tracked* f = find_flow(*it);
    if (!f || !f->conversation) {
      it = talking_.erase(it);
      continue;
    }
    f->conversation->flush_idle(now_ns, f->held);
    deliver(*f);
    it = f->conversation->pending() ? std::next(it) : talking_.erase(it);
  }
  unmatched_.expire(now_ns);
}

}  // namespace procflow
