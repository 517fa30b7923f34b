// Correlates the kernel's TCP records, keyed by socket, into CAR flow events.
//
// Life of a flow:
//   start record  -> tracked; `start` is emitted once the tuple is complete
//                    (outbound) and the owner is exact (inbound: accept or
//                    first send/recv), or after owner_grace with the best
//                    owner known (the listener's);
//   owner records -> the owner follows the process that last used the socket;
//   end record    -> `end` is emitted after `linger`, so the last packets of
//                    the close (the final ACK after TIME_WAIT) reach the TC
//                    counters first;
//   shutdown      -> every open flow ends with end_reason tracer_stop and the
//                    counters of a last snapshot.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "flow/event_enricher.h"
#include "flow/flow_context.h"
#include "procflow/flow_event.h"
#include "procflow_abi.h"

namespace procflow {

struct FlowTableOptions {
  uint64_t owner_grace_ns = 500'000'000;  // wait this long for an accept to name the owner
  uint64_t linger_ns = 250'000'000;       // hold `end` this long for late packets
};

struct FlowTableStats {
  uint64_t starts = 0;
  uint64_t ends = 0;
  uint64_t unknown_sockets = 0;  // records for sockets never seen starting
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

  // Emits what is due: starts past owner_grace, ends past linger.
  void tick(uint64_t now_ns);
  // Shutdown: emits every pending end, then ends every open flow.
  void finish(uint64_t now_ns);

  size_t open_flows() const { return open_.size(); }
  const FlowTableStats& stats() const { return stats_; }

  // The TC key of a tuple: lower (address, port) first.
  static pf_pkt_key packet_key(const pf_tuple& tuple);

 private:
  struct Tracked {
    uint64_t sock_id = 0;
    uint64_t netns = 0;
    pf_tuple tuple{};
    pf_task owner{};
    uint8_t owner_source = PF_OWNER_NONE;
    bool initiated = false;
    uint64_t start_ns = 0;
    bool start_emitted = false;
    FlowLabels labels;
    std::optional<pf_tcp_snapshot> snapshot;
  };
  struct Ending {
    Tracked flow;
    pf_tcp_end end;
    uint64_t due_ns;
  };

  bool tuple_complete(const Tracked& f) const;
  bool owner_settled(const Tracked& f) const;
  void maybe_emit_start(Tracked& f, uint64_t now_ns, bool force);
  void emit_start(Tracked& f);
  void emit_end(Ending& e);
  void emit_stop(Tracked& f, uint64_t now_ns);
  void fill_common(FlowEvent& ev, Tracked& f);

  FlowContext ctx_;
  EventEnricher enricher_;
  Emit emit_;
  FlowTableOptions options_;
  FlowTableStats stats_;
  std::unordered_map<uint64_t, Tracked> open_;
  std::unordered_set<uint64_t> awaiting_start_;  // open flows whose start is not out yet
  std::deque<Ending> ending_;
  FlowEvent event_;  // reused: no per-event allocation once warmed up
};

}  // namespace procflow
