// UdpFlowTable's `message` events: datagram payload (and DNS messages) joined
// to the flows of the local sockets that sent or received them.
#include "flow/udp_flow_table.h"

#include "flow/message_event.h"

namespace procflow {

ConversationKey UdpFlowTable::peer_key(const IpAddress& peer, uint16_t peer_port,
                                       uint16_t local_port) {
  // Not a wire key: the peer in the first slot, the local port in the second.
  return conversation_key(peer, peer_port, IpAddress{}, local_port, ip_proto_udp);
}

ConversationKey UdpFlowTable::peer_key_of(const pf_udp_start& s) {
  const SocketEndpoints e = endpoints_of(s);
  return peer_key(e.peer, e.peer_port, e.local_port);
}

void UdpFlowTable::on_payload(const PayloadChunk& c) {
  if (!ctx_.conversations) return;
  // Received by a socket on dport from src, or sent by one on sport to dst.
  const ConversationKey received = peer_key(c.src, c.sport, c.dport);
  const ConversationKey sent = peer_key(c.dst, c.dport, c.sport);
  bool claimed[2] = {false, false};
  int side = 0;
  for (const auto& [key, direction] :
       {std::pair{received, MessageDirection::in}, std::pair{sent, MessageDirection::out}}) {
    // add_chunk never changes the index: the flows are walked in place.
    if (const std::vector<pf_udp_key>* ids = conversations_.find(key)) {
      for (const pf_udp_key& id : *ids) {
        auto it = flows_.find(id);
        if (it == flows_.end()) continue;
        add_chunk(id, it->second, c, direction);
        claimed[side] = true;
      }
    }
    side++;
  }
  // The receiving socket's flow starts when it reads the datagram: later.
  // Between two local sockets the sender's flow may have it already; the
  // receiver's still waits for it. Counted as unmatched only if nobody took it.
  const bool anyone = claimed[0] || claimed[1];
  if (!claimed[0] && !claimed[1])
    unmatched_.keep(received, c, sent);
  else if (!claimed[0])
    unmatched_.keep(received, c, std::nullopt, /*count_if_unclaimed=*/!anyone);
}

void UdpFlowTable::add_chunk(const pf_udp_key& id, Tracked& f, const PayloadChunk& c,
                             MessageDirection d) {
  if (!f.conversation)
    f.conversation =
        std::make_unique<FlowConversation>(*ctx_.conversations, f.start.initiated != 0);
  f.conversation->add_wire(c, d, messages_);
  if (f.conversation->pending()) talking_.insert(id);
  emit_messages(f);
}

void UdpFlowTable::emit_messages(Tracked& f) {
  for (FlowMessage& m : messages_) {
    messages_emitted_++;
    name_responder_by(m.facts, &f.labels);  // a QUIC Initial's server name
    if (!fill_flow(f)) continue;
    // Never before the flow's start: its first datagram's time, as the kernel counted it.
    fill_message_event(event_, m,
                       std::max(ctx_.clock.to_unix_us(m.ktime_ns), *event_.start_time_us));
    emit_(event_);
  }
  messages_.clear();
}

void UdpFlowTable::flush_quiet_turns(uint64_t now_ns) {
  for (auto it = talking_.begin(); it != talking_.end();) {
    auto f = flows_.find(*it);
    if (f == flows_.end() || !f->second.conversation) {
      it = talking_.erase(it);
      continue;
    }
    f->second.conversation->flush_idle(now_ns, messages_);
    emit_messages(f->second);
    it = f->second.conversation->pending() ? std::next(it) : talking_.erase(it);
  }
  unmatched_.expire(now_ns);
}

void UdpFlowTable::finish_conversation(const pf_udp_key& id, Tracked& f) {
  talking_.erase(id);
  conversations_.remove(peer_key_of(f.start), id);
  if (!f.conversation) return;
  f.conversation->finish(messages_);
  emit_messages(f);
}

}  // namespace procflow
