// What the TCP and UDP flow tables both do with a finished message: name the
// responder by it when nothing better did, and move it into the event.
#pragma once

#include "flow/event_enricher.h"
#include "flow/flow_conversation.h"
#include "procflow/flow_event.h"

namespace procflow {

// A name the flow's own traffic gave its responder (TLS/QUIC SNI, HTTP Host)
// replaces no name or a PTR record's claim, never a name from DNS, the hosts
// file or this host; only once the flow's names are settled (its start).
void name_responder_by(const MessageFacts& facts, FlowLabels* labels);

// ev has the flow's fields; this makes it the message's event. m's strings
// are moved out.
void fill_message_event(FlowEvent& ev, FlowMessage& m, uint64_t timestamp_us);

}  // namespace procflow
