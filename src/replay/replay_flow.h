// The state of one flow of the replay's table, shared by replay_flows.cpp (packets, lifetime) and
// replay_flows_messages.cpp (its messages); nothing outside ReplayFlows sees it.
#pragma once

#include <list>
#include <memory>

#include "flow/event_enricher.h"
#include "flow/flow_conversation.h"
#include "replay/capture_turns.h"
#include "replay/replay_dns.h"
#include "replay/replay_flows.h"

namespace procflow {

// What a flow that carried payload said so far.
struct ReplayFlowContent {
  explicit ReplayFlowContent(const ConversationSettings& settings) : conversation(settings, true) {}
  FlowConversation conversation;                    // the initiator is its "local" side
  std::list<ReplayFlows::Flow*>::iterator talking;  // in ReplayFlows::talking_
};

struct ReplayFlows::Flow {
  Key key;
  ReplayFlowRecord record;
  uint64_t serial = 0;  // start order, so events at the end of the capture come out in it
  // Fixed at the start, so the flow's end event says what its start said even if a later DNS
  // answer renames an address (a TLS SNI or HTTP Host may still name an unnamed responder).
  FlowLabels labels;
  uint64_t active_us = 0;  // the capture clock at its last packet
  bool closed = false;     // ended; lingering in closed_ to absorb stray packets
  uint64_t closed_us = 0;
  std::list<Flow*>::iterator position;  // in udp_lru_ (open UDP) or closed_ (closed TCP)
  // TCP close: per direction (0 = the initiator's), a FIN was sent, the sequence number just
  // past it, and whether the other side acknowledged it.
  bool fin[2] = {false, false};
  bool fin_acked[2] = {false, false};
  uint32_t fin_next[2] = {0, 0};
  // DNS over TCP, per direction sent from a DNS port; allocated only for those.
  std::unique_ptr<DnsTcpStream> dns[2];
  // With messages on: its turns from its SYN on, and what it said from its first payload to its
  // end.
  CaptureTurns turns;
  std::unique_ptr<ReplayFlowContent> content;
};

}  // namespace procflow
