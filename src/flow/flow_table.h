// Correlates the kernel's TCP records, keyed by socket, into CAR flow events.
//
// Life of a flow:
//   start record  -> tracked; `start` is emitted once the tuple is complete
//                    (outbound) and the owner is exact (inbound: accept or
//                    first send/recv), or after owner_grace with the best
//                    owner known (the listener's);
//   owner records -> the owner follows the process that last used the socket;
//   end record    -> `end` is emitted after `linger`, so the last packets of
//                    the close (the final FIN and ACK a TIME_WAIT socket
//                    exchanges, the RST of an abortive close) reach the TC
//                    counters, and the kernel's PF_REC_TCP_RESET for such an
//                    RST still finds the flow;
//   shutdown      -> every open flow ends with end_reason tracer_stop and the
//                    counters of a last snapshot;
//   report_period -> (report_interval) an open flow's period ends (end_reason
//                    interval, the period's counters) and the next starts.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collect/payload_chunk.h"
#include "flow/conversation_index.h"
#include "flow/endpoint_index.h"
#include "flow/event_enricher.h"
#include "flow/flow_context.h"
#include "flow/flow_conversation.h"
#include "flow/flow_period.h"
#include "flow/node_pool.h"
#include "flow/unmatched_chunks.h"
#include "procflow/flow_event.h"
#include "procflow_abi.h"

namespace procflow {

struct FlowTableOptions {
  uint64_t owner_grace_ns = 500'000'000;  // wait this long for an accept to name the owner
  uint64_t linger_ns = 250'000'000;       // hold `end` this long for the close's last packets
};

struct FlowTableStats {
  uint64_t starts = 0;
  uint64_t ends = 0;
  uint64_t unknown_sockets = 0;  // records for sockets never seen starting
  uint64_t late_resets = 0;      // RSTs after the close whose end had already gone out
  uint64_t ends_lost = 0;        // flows ended by reconcile(): their end record never came
  uint64_t filtered = 0;         // events the flow-level filters kept from being built
  uint64_t periods = 0;          // report_interval periods reported (end + next start)
  uint64_t messages = 0;         // `message` events built
  // Captured chunks no open flow claimed within a second (a flow procflow
  // does not follow, or whose start record was lost).
  uint64_t payload_unmatched = 0;  // see FlowTable::payload_unmatched()
};

class FlowTable {
 public:
  using Emit = std::function<void(const FlowEvent&)>;

  FlowTable(FlowContext context, Emit emit, FlowTableOptions options = {});

  void on_tcp_start(const pf_tcp_start& rec);
  void on_tcp_owner(const pf_tcp_owner& rec);
  void on_tcp_established(const pf_tcp_established& rec);
  void on_tcp_end(const pf_tcp_end& rec);
  void on_tcp_snapshot(const pf_tcp_snapshot& rec);
  void on_tcp_reset(const pf_tcp_reset& rec);
  // A connection the start-up walk found (listeners and sockets it did not
  // enter into the kernel's map are ignored): its `start` goes out at once,
  // with "snapshot": true and its counters so far. owner: from /proc, if any
  // process holds the socket.
  void on_existing(const pf_tcp_existing& rec, const std::optional<pf_task>& owner);

  // Captured bytes of a conversation (TC): to every open flow of it, as a
  // part of its next `message` event (flow_conversation.h).
  void on_payload(const PayloadChunk& chunk);
  // TLS plaintext one call of the socket's process moved (OpenSSL uprobes).
  void on_plaintext(uint64_t sock_id, MessageDirection direction, bool turn_start,
                    uint64_t ktime_ns, std::span<const uint8_t> bytes, bool truncated);

  // Emits what is due: starts past owner_grace, ends past linger, messages
  // whose turn went quiet.
  void tick(uint64_t now_ns);
  // Shutdown: emits every pending end, then ends every open flow.
  void finish(uint64_t now_ns);
  // report_interval: every open flow whose counters a snapshot just gave
  // (on_tcp_snapshot) is reported: an `end` with end_reason interval and the
  // period's counters, then the `start` of the next period (flow_period.h).
  void report_period(uint64_t now_ns);
  // A lost TCP_END would leave its flow open forever: `live` is every socket
  // the kernel still follows. A flow missing from it at two calls in a row
  // (the end record would have come by then) ends with end_reason lost.
  void reconcile(const std::vector<uint64_t>& live, uint64_t now_ns);

  // The network namespace of the open flow whose local socket on local_port
  // talks to peer:peer_port, if any (which namespace a DNS-over-TCP answer,
  // seen by TC, was for).
  EndpointMatch netns_of(const IpAddress& peer, uint16_t peer_port, uint16_t local_port,
                         const IpAddress& local) const {
    return endpoints_.find(peer, peer_port, local_port, local);
  }

  size_t open_flows() const { return open_.size(); }
  size_t ending_flows() const { return ending_.size(); }  // ended, `end` held for the linger
  size_t indexed_endpoints() const { return endpoints_.entries(); }
  const FlowTableStats& stats() const { return stats_; }
  // Chunks no open flow claimed in time (a flow procflow does not follow, or
  // whose start record was lost), TLS plaintext of unknown sockets included.
  uint64_t payload_unmatched() const { return stats_.payload_unmatched + unmatched_.dropped(); }

 private:
  struct Tracked {
    uint64_t sock_id = 0;
    uint64_t netns = 0;
    pf_tuple tuple{};
    OwnerView owner;
    uint8_t owner_source = PF_OWNER_NONE;
    bool initiated = false;
    uint64_t start_ns = 0;
    bool start_emitted = false;
    FlowLabels labels;
    std::optional<pf_tcp_snapshot> snapshot;
    FlowPeriod period;        // what earlier report_interval periods counted
    bool indexed = false;     // in endpoints_ (once both ports are known)
    bool missing = false;     // not in the kernel's map at the last reconcile()
    bool conversing = false;  // in conversations_ (from a complete tuple to its end event)
    ConversationKey conversation_key;
    std::unique_ptr<FlowConversation> conversation;  // once it carried content
    std::vector<FlowMessage> held;                   // messages waiting for the flow's start
  };
  using OpenFlows = std::unordered_map<uint64_t, Tracked>;
  // An ended flow waits for its linger in the node open_ held it in: no copy of the flow, and
  // the node goes back to open_ (through nodes_) for a later flow instead of to the allocator.
  struct Ending {
    OpenFlows::node_type node;
    pf_tcp_end end;
    uint64_t due_ns;
    bool reset_after_close = false;
  };

  bool tuple_complete(const Tracked& f) const;
  void index_conversation(Tracked& f);
  void unindex_conversation(Tracked& f);
  Tracked* find_flow(uint64_t sock_id);  // open or ending
  void add_chunk(Tracked& f, const PayloadChunk& chunk);
  FlowConversation& conversation_of(Tracked& f);  // made on the flow's first content
  // Emits the flow's messages once its start is out, holds them before.
  void deliver(Tracked& f);
  void emit_message(Tracked& f, FlowMessage& m);
  // The flow ends (or a period closes): its pending messages go out first,
  // and the end event gets the application protocol.
  void finish_conversation(Tracked& f);
  // Messages whose turn went quiet; chunks no flow claimed in time.
  void flush_quiet_turns(uint64_t now_ns);
  static SocketEndpoints endpoints_of(const Tracked& f);
  void index_endpoints(Tracked& f);
  void unindex_endpoints(Tracked& f);
  bool owner_settled(const Tracked& f) const;
  void maybe_emit_start(Tracked& f, uint64_t now_ns, bool force);
  void emit_start(Tracked& f, const pf_tcp_existing* existing = nullptr);
  void emit_end(Ending& e);
  // Emits the oldest ending flow and keeps its node for reuse.
  void emit_oldest_end();
  // The entry for sock_id, default-constructed (in a recycled node if one is kept) if new.
  Tracked& open_entry(uint64_t sock_id);
  void emit_stop(Tracked& f, uint64_t now_ns);
  // Counts and flags: the socket's own, replaced or completed by what TC saw
  // of this connection (the generation its SYN opened).
  void fill_counters(const Tracked& f, uint64_t socket_packets, uint8_t implied_flags,
                     uint32_t syn_seq, bool reset_after_close);
  // False when the filters do not want the flow: nothing was built, emit nothing.
  bool fill_common(FlowEvent& ev, Tracked& f);

  FlowContext ctx_;
  EventEnricher enricher_;
  Emit emit_;
  FlowTableOptions options_;
  FlowTableStats stats_;
  OpenFlows open_;
  NodePool<OpenFlows> nodes_;                    // of flows whose end went out
  std::unordered_set<uint64_t> awaiting_start_;  // open flows whose start is not out yet
  EndpointIndex endpoints_;  // open flows with both ports: which namespace a DNS answer was for
  std::deque<Ending> ending_;
  ConversationIndex<uint64_t> conversations_;  // flows by wire tuple, for content
  std::unordered_set<uint64_t> talking_;       // flows with a turn not yet complete
  UnmatchedChunks unmatched_;
  std::vector<FlowMessage> messages_;  // reused
  FlowEvent event_;                    // reused: no per-event allocation once warmed up
};

}  // namespace procflow
