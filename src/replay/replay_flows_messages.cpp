// The replay's `message` events: each flow's payload through a FlowConversation, the way the
// live flow tables do it (flow_table_messages.cpp), on the capture's clock.
#include "flow/message_event.h"
#include "replay/replay_flow.h"
#include "replay/replay_flows.h"

namespace procflow {
namespace {

// How often (in capture time) conversations are asked for turns that went quiet: a turn
// completes after ConversationSettings::idle_ns without a packet.
constexpr uint64_t kIdleSweepUs = 100'000;

uint64_t to_ns(uint64_t us) {
  return us * 1000;
}

}  // namespace

void ReplayFlows::add_content(Flow& f, const ParsedPacket& p, bool from_initiator) {
  auto chunk =
      f.turns.chunk_of(p, from_initiator, to_ns(now_us_), options_.conversations->options.bytes);
  if (!chunk) return;
  if (!f.content) {
    f.content = std::make_unique<ReplayFlowContent>(*options_.conversations);
    f.content->talking = talking_.insert(talking_.end(), &f);
  }
  f.content->conversation.add_wire(*chunk, CaptureTurns::direction_of(from_initiator), messages_);
  emit_messages(f);
}

void ReplayFlows::flush_idle_messages() {
  if (talking_.empty() || now_us_ < idle_swept_us_ + kIdleSweepUs) return;
  idle_swept_us_ = now_us_;
  for (Flow* f : talking_) {
    f->content->conversation.flush_idle(to_ns(now_us_), messages_);
    emit_messages(*f);
  }
}

void ReplayFlows::finish_messages(Flow& f) {
  f.content->conversation.finish(messages_);
  emit_messages(f);
}

void ReplayFlows::emit_messages(Flow& f) {
  for (FlowMessage& m : messages_) {
    name_responder_by(m.facts, &f.labels);
    fill_event(event_, f);
    fill_message_event(event_, m, m.ktime_ns / 1000);
    stats_.messages++;
    emit_(event_, f.record);
  }
  messages_.clear();
}

}  // namespace procflow
