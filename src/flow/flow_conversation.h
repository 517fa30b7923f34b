// What one flow said: its captured chunks gathered into messages (one per
// turn and direction), each described (content, proto_info, a server name)
// and labelled with the application protocol nDPI found. One per flow that
// carried content, created on its first chunk; the flow tables own it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collect/payload_chunk.h"
#include "flow/content_options.h"
#include "flow/message_assembler.h"
#include "proto/flow_message_inspector.h"
#include "proto/ndpi_flow.h"

namespace procflow {

struct FlowMessage {
  MessageDirection direction = MessageDirection::out;
  ContentSource source = ContentSource::wire;
  uint64_t ktime_ns = 0;   // its first byte
  bool truncated = false;  // the turn carried more than was captured
  MessageFacts facts;      // content, proto_info, a name for the responder
  std::string application_protocol;
  // The flow's payload bytes so far (TCP, from sequence numbers): in the
  // message's direction up to the end of its captured packets, in the other
  // up to the end of that direction's last message; absent when unknown.
  std::optional<uint64_t> out_bytes, in_bytes;
};

// Shared by every conversation of a tracer (or a replay).
struct ConversationSettings {
  ContentOptions options;
  NdpiEngine* ndpi = nullptr;      // nullptr: no application_protocol from nDPI
  uint64_t idle_ns = 200'000'000;  // a turn quiet this long is complete
};

class FlowConversation {
 public:
  // local_initiated: the flow's local socket opened the connection.
  FlowConversation(const ConversationSettings& settings, bool local_initiated);

  // A chunk of the wire; `direction` as the flow's local socket sees it.
  void add_wire(const PayloadChunk& chunk, MessageDirection direction,
                std::vector<FlowMessage>& out);
  // Plaintext one call of the process moved (one turn's first bytes at most).
  void add_plaintext(MessageDirection direction, bool turn_start, uint64_t ktime_ns,
                     std::span<const uint8_t> bytes, bool truncated, std::vector<FlowMessage>& out);
  void flush_idle(uint64_t now_ns, std::vector<FlowMessage>& out);
  // The flow ends: every pending message, and nDPI's final word.
  void finish(std::vector<FlowMessage>& out);

  // nDPI's name for the flow's protocol ("" until known).
  const std::string& application_protocol() const { return protocol_; }
  bool pending() const { return wire_.pending() || plaintext_.pending() || !waiting_.empty(); }

 private:
  void describe(std::vector<AssembledMessage>& done, ContentSource source,
                std::vector<FlowMessage>& out);
  void classify(const PayloadChunk& chunk);
  // A message goes out with the flow's application protocol: one said before
  // anything named it (an SMTP greeting: "220 host") waits for the name, in
  // order with those after it, until kProtocolWaitNs or the flow's end.
  void queue(FlowMessage&& m, std::vector<FlowMessage>& out);
  void release_waiting(bool force, std::vector<FlowMessage>& out);

  const ConversationSettings& settings_;
  bool local_initiated_;
  MessageAssembler wire_, plaintext_;
  FlowMessageInspector inspector_;
  std::unique_ptr<NdpiFlow> ndpi_;  // until nDPI settles
  std::string protocol_;
  std::string guessed_;                         // from the bytes, while nDPI has no answer
  std::optional<uint64_t> reported_end_[2];     // per direction, as of its last message
  uint16_t messages_[2][2] = {{0, 0}, {0, 0}};  // by source, then direction
  std::vector<FlowMessage> waiting_;            // complete, waiting for the protocol's name
  uint64_t waiting_since_ns_ = 0;
  std::vector<AssembledMessage> done_;  // reused
  // The last wire message per direction, to drop a copy TC saw again on a
  // second interface (DNS is copied wherever it passes).
  struct Recent {
    uint64_t ktime_ns = 0;
    std::vector<uint8_t> bytes;
  } recent_[2];
};

}  // namespace procflow
