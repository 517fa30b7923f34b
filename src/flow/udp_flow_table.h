// UDP flows: one per (local socket, peer), announced by the kernel's
// PF_REC_UDP_START and counted in the kernel's udp_flows map.
//
// A flow ends when its socket is released (end_reason close), when it has
// been idle for idle_timeout (end_reason timeout, end_time = its last
// datagram), or at shutdown (tracer_stop). Counters are read from the kernel
// in one batch per sweep, never per datagram.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "collect/payload_chunk.h"
#include "flow/conversation_index.h"
#include "flow/endpoint_index.h"
#include "flow/event_enricher.h"
#include "flow/flow_context.h"
#include "flow/flow_conversation.h"
#include "flow/flow_period.h"
#include "flow/unmatched_chunks.h"
#include "procflow/flow_event.h"
#include "procflow_abi.h"

// The flows of a conversation are found by key value.
inline bool operator==(const pf_udp_key& a, const pf_udp_key& b) {
  return a.sock_id == b.sock_id && a.peer_port == b.peer_port && a.family == b.family &&
         std::equal(std::begin(a.peer_addr), std::end(a.peer_addr), std::begin(b.peer_addr));
}

namespace procflow {

struct UdpFlowTableOptions {
  uint64_t idle_timeout_ns = 60'000'000'000ull;
  uint64_t sweep_interval_ns = 1'000'000'000ull;
};

class UdpFlowTable {
 public:
  using Emit = std::function<void(const FlowEvent&)>;

  UdpFlowTable(FlowContext context, UdpStatsSource& stats, Emit emit,
               UdpFlowTableOptions options = {});

  void on_udp_start(const pf_udp_start& rec);
  void on_udp_release(const pf_udp_release& rec);
  // Captured bytes of a datagram (TC; DNS messages too): to the flows of the
  // local sockets that sent or received it, as their `message` events.
  void on_payload(const PayloadChunk& chunk);
  uint64_t messages() const { return messages_emitted_; }
  uint64_t payload_unmatched() const { return unmatched_.dropped(); }

  // Ends idle flows (at most once per sweep interval).
  void tick(uint64_t now_ns);
  // Shutdown: every open flow ends with tracer_stop and its latest counters.
  void finish(uint64_t now_ns);
  // report_interval: every open flow ends its period (end_reason interval,
  // the period's counters, read in one batch) and starts the next
  // (flow_period.h).
  void report_period(uint64_t now_ns);

  // The network namespace of the local socket talking to peer:peer_port from
  // local_port, if such a flow is open. Tells which namespace a DNS answer
  // (seen by TC, which cannot know) was for.
  EndpointMatch netns_of(const IpAddress& peer, uint16_t peer_port, uint16_t local_port,
                         const IpAddress& local) const {
    return endpoints_.find(peer, peer_port, local_port, local);
  }

  size_t open_flows() const { return flows_.size(); }
  size_t indexed_endpoints() const { return endpoints_.entries(); }
  uint64_t starts() const { return starts_; }
  uint64_t ends() const { return ends_; }

 private:
  struct KeyLess {
    bool operator()(const pf_udp_key& a, const pf_udp_key& b) const;
  };
  struct Tracked {
    pf_udp_start start;
    OwnerView owner;  // the first datagram's process, resolved when it came
    FlowLabels labels;
    FlowPeriod period;                               // what earlier report_interval periods counted
    std::unique_ptr<FlowConversation> conversation;  // once it carried content
  };

  void emit_end(Tracked& f, const pf_udp_stats& stats, uint64_t end_ns, EndReason reason);
  // The flow's event with everything but action, times and counters; false
  // when the filters do not want it.
  bool fill_flow(Tracked& f);
  static SocketEndpoints endpoints_of(const pf_udp_start& start);
  // The local socket's view of a conversation: the peer and the local port
  // (a socket bound to the wildcard address has no local address to key on).
  static ConversationKey peer_key(const IpAddress& peer, uint16_t peer_port, uint16_t local_port);
  static ConversationKey peer_key_of(const pf_udp_start& start);
  void add_chunk(const pf_udp_key& id, Tracked& f, const PayloadChunk& c, MessageDirection d);
  void emit_messages(Tracked& f);
  void flush_quiet_turns(uint64_t now_ns);
  // The flow ends: its pending messages go out, nDPI gives its last word.
  void finish_conversation(const pf_udp_key& id, Tracked& f);

  FlowContext ctx_;
  EventEnricher enricher_;
  UdpStatsSource& stats_;
  Emit emit_;
  UdpFlowTableOptions options_;
  // Ordered by socket first, so a released socket's flows are one range.
  std::map<pf_udp_key, Tracked, KeyLess> flows_;
  EndpointIndex endpoints_;  // open flows' sockets: which namespace a DNS answer was for
  ConversationIndex<pf_udp_key> conversations_;  // open flows by (peer, local port)
  std::set<pf_udp_key, KeyLess> talking_;        // flows with a turn not yet complete
  UnmatchedChunks unmatched_;
  std::vector<FlowMessage> messages_;  // reused
  uint64_t messages_emitted_ = 0;
  uint64_t last_sweep_ns_ = 0;
  uint64_t starts_ = 0, ends_ = 0;
  FlowEvent event_;
};

}  // namespace procflow
