#include "flow/flow_table.h"

#include <netinet/in.h>
#include <cstring>
#include <utility>

namespace procflow {
namespace {

EndReason end_reason_of(uint8_t close_cause) {
  switch (close_cause) {
    case PF_CLOSE_RESET:
      return EndReason::reset;
    case PF_CLOSE_TIMEOUT:
      return EndReason::timeout;
  }
  return EndReason::close;
}

}  // namespace

FlowTable::FlowTable(FlowContext context, Emit emit, FlowTableOptions options)
    : ctx_(context), enricher_(context), emit_(std::move(emit)), options_(options) {}

bool FlowTable::tuple_complete(const Tracked& f) const {
  return f.tuple.sport != 0 && f.tuple.dport != 0;
}

SocketEndpoints FlowTable::endpoints_of(const Tracked& f) {
  return socket_endpoints(tuple_address(f.tuple.saddr, f.tuple.family), f.tuple.sport,
                          tuple_address(f.tuple.daddr, f.tuple.family), f.tuple.dport, f.initiated);
}

void FlowTable::index_endpoints(Tracked& f) {
  if (f.indexed || !tuple_complete(f)) return;
  endpoints_.add(endpoints_of(f), f.netns);
  f.indexed = true;
}

void FlowTable::unindex_endpoints(Tracked& f) {
  if (!f.indexed) return;
  endpoints_.remove(endpoints_of(f), f.netns);
  f.indexed = false;
}

bool FlowTable::owner_settled(const Tracked& f) const {
  return f.owner_source == PF_OWNER_CONNECT || f.owner_source == PF_OWNER_ACCEPT ||
         f.owner_source == PF_OWNER_SENDRECV;
}

FlowTable::Tracked& FlowTable::open_entry(uint64_t sock_id) {
  if (auto it = open_.find(sock_id); it != open_.end()) return it->second;
  if (auto node = nodes_.take()) {
    node.key() = sock_id;
    node.mapped() = Tracked{};  // strings keep their storage for the next flow's
    return open_.insert(std::move(node)).position->second;
  }
  return open_[sock_id];
}

void FlowTable::on_tcp_start(const pf_tcp_start& rec) {
  Tracked& f = open_entry(rec.sock_id);
  unindex_endpoints(f);  // a socket address reused without its end seen
  unindex_conversation(f);
  talking_.erase(rec.sock_id);
  f = Tracked{};
  f.sock_id = rec.sock_id;
  f.netns = rec.netns;
  f.tuple = rec.tuple;
  enricher_.resolve_owner(rec.owner_source == PF_OWNER_NONE ? pf_task{} : rec.owner, &f.owner);
  f.owner_source = rec.owner_source;
  f.initiated = rec.initiated != 0;
  f.start_ns = rec.hdr.ktime_ns;
  awaiting_start_.insert(rec.sock_id);
  index_endpoints(f);
  index_conversation(f);
  maybe_emit_start(f, rec.hdr.ktime_ns, false);
}

void FlowTable::on_tcp_owner(const pf_tcp_owner& rec) {
  auto it = open_.find(rec.sock_id);
  if (it == open_.end()) {
    stats_.unknown_sockets++;
    return;
  }
  enricher_.resolve_owner(rec.owner, &it->second.owner);
  it->second.owner_source = rec.owner_source;
  maybe_emit_start(it->second, rec.hdr.ktime_ns, false);
}

void FlowTable::on_tcp_established(const pf_tcp_established& rec) {
  auto it = open_.find(rec.sock_id);
  if (it == open_.end()) {
    stats_.unknown_sockets++;
    return;
  }
  // Outbound: local -> remote is initiator -> responder, now with its port.
  unindex_endpoints(it->second);  // filed under the tuple the start gave
  unindex_conversation(it->second);
  it->second.tuple = rec.tuple;
  index_endpoints(it->second);
  index_conversation(it->second);
  maybe_emit_start(it->second, rec.hdr.ktime_ns, false);
}

void FlowTable::on_tcp_snapshot(const pf_tcp_snapshot& rec) {
  auto it = open_.find(rec.sock_id);
  if (it != open_.end()) it->second.snapshot = rec;
}

void FlowTable::on_tcp_reset(const pf_tcp_reset& rec) {
  // It follows its end within microseconds: search from the newest.
  for (auto it = ending_.rbegin(); it != ending_.rend(); ++it) {
    if (it->node.key() == rec.sock_id) {
      it->reset_after_close = true;
      return;
    }
  }
  stats_.late_resets++;
}

void FlowTable::on_tcp_end(const pf_tcp_end& rec) {
  auto it = open_.find(rec.sock_id);
  if (it == open_.end()) {
    stats_.unknown_sockets++;
    return;
  }
  Tracked& f = it->second;
  unindex_endpoints(f);
  // A closed socket sends and receives nothing more: later chunks on its
  // tuple are the next connection's (a reused port), not this flow's.
  unindex_conversation(f);
  if (rec.tuple.sport != 0) f.tuple = rec.tuple;  // a failed connect learns its port here
  maybe_emit_start(f, rec.hdr.ktime_ns, true);
  awaiting_start_.erase(rec.sock_id);
  ending_.push_back(Ending{open_.extract(it), rec, rec.hdr.ktime_ns + options_.linger_ns});
}

void FlowTable::maybe_emit_start(Tracked& f, uint64_t now_ns, bool force) {
  if (f.start_emitted) return;
  if (!force) {
    if (!tuple_complete(f)) return;
    if (!f.initiated && !owner_settled(f) && now_ns - f.start_ns < options_.owner_grace_ns) return;
  }
  emit_start(f);
}

void FlowTable::tick(uint64_t now_ns) {
  // Only flows still waiting for their start: not every open flow, every tick.
  for (auto it = awaiting_start_.begin(); it != awaiting_start_.end();) {
    uint64_t id = *it++;  // emit_start erases the current element
    auto f = open_.find(id);
    if (f != open_.end() && now_ns > f->second.start_ns) maybe_emit_start(f->second, now_ns, false);
  }
  flush_quiet_turns(now_ns);
  while (!ending_.empty() && ending_.front().due_ns <= now_ns) emit_oldest_end();
}

void FlowTable::emit_oldest_end() {
  emit_end(ending_.front());
  ending_.front().node.mapped().conversation.reset();  // a pooled node keeps no nDPI state
  nodes_.put(std::move(ending_.front().node));
  ending_.pop_front();
}

void FlowTable::finish(uint64_t now_ns) {
  while (!ending_.empty()) emit_oldest_end();
  for (auto& [id, f] : open_) emit_stop(f, now_ns);
  open_.clear();
  endpoints_.clear();
  awaiting_start_.clear();
  conversations_.clear();
  talking_.clear();
  unmatched_.clear();
}

void FlowTable::reconcile(const std::vector<uint64_t>& live, uint64_t now_ns) {
  std::unordered_set<uint64_t> in_kernel(live.begin(), live.end());
  for (auto it = open_.begin(); it != open_.end();) {
    Tracked& f = it->second;
    if (in_kernel.count(f.sock_id)) {
      f.missing = false;
      ++it;
      continue;
    }
    if (!f.missing) {
      f.missing = true;  // its end record may still be on the way
      ++it;
      continue;
    }
    if (!f.start_emitted) emit_start(f);
    unindex_endpoints(f);
    finish_conversation(f);
    unindex_conversation(f);
    stats_.ends++;
    stats_.ends_lost++;
    if (fill_common(event_, f)) {
      if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
      event_.action = FlowAction::end;
      event_.end_time_us = ctx_.clock.to_unix_us(now_ns);
      event_.timestamp_us = *event_.end_time_us;
      event_.end_reason = EndReason::lost;
      f.period.narrow(event_);
      emit_(event_);
    }
    awaiting_start_.erase(f.sock_id);
    it = open_.erase(it);
  }
}

bool FlowTable::fill_common(FlowEvent& ev, Tracked& f) {
  if (!enricher_.wanted(f.tuple, f.owner)) {
    stats_.filtered++;
    return false;
  }
  enricher_.fill_flow(ev, f.tuple, f.netns, f.initiated, f.start_ns, &f.labels);
  enricher_.fill_owner(ev, f.owner);
  return true;
}

void FlowTable::emit_start(Tracked& f, const pf_tcp_existing* existing) {
  f.start_emitted = true;
  awaiting_start_.erase(f.sock_id);
  stats_.starts++;
  if (!fill_common(event_, f)) {
    deliver(f);  // counted as filtered, like the start
    return;
  }
  event_.action = FlowAction::start;
  event_.timestamp_us = *event_.start_time_us;
  if (existing) {
    event_.snapshot = true;
    event_.in_bytes = existing->app_bytes_in;
    event_.out_bytes = existing->app_bytes_out;
    event_.packet_count = existing->packets;
    event_.tcp_flags = existing->implied_flags;
  }
  emit_(event_);
  deliver(f);  // what it said before its start went out
}

void FlowTable::on_existing(const pf_tcp_existing& rec, const std::optional<pf_task>& owner) {
  if (rec.listening || !rec.tracked) return;  // a listener, or a flow seen starting already
  Tracked& f = open_entry(rec.sock_id);
  unindex_endpoints(f);
  unindex_conversation(f);
  talking_.erase(rec.sock_id);
  f = Tracked{};
  f.sock_id = rec.sock_id;
  f.netns = rec.netns;
  f.tuple = rec.tuple;
  f.tuple.proto = IPPROTO_TCP;
  f.initiated = rec.initiated != 0;
  if (!f.initiated) {
    // The walk gives local -> remote; a flow is initiator -> responder.
    std::swap(f.tuple.saddr, f.tuple.daddr);
    std::swap(f.tuple.sport, f.tuple.dport);
  }
  enricher_.resolve_owner(owner.value_or(pf_task{}), &f.owner);
  // Nobody was seen acting on it yet: as good as a listener's guess until a
  // send or receive names the process for sure.
  f.owner_source = owner ? PF_OWNER_LISTENER : PF_OWNER_NONE;
  f.start_ns = rec.hdr.ktime_ns;
  index_endpoints(f);
  index_conversation(f);
  emit_start(f, &rec);
}

void FlowTable::emit_end(Ending& e) {
  stats_.ends++;
  Tracked& f = e.node.mapped();
  const pf_tcp_end& end = e.end;
  finish_conversation(f);  // out of the index since its end record (on_tcp_end)
  if (!fill_common(event_, f)) return;
  if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
  event_.action = FlowAction::end;
  event_.end_time_us = ctx_.clock.to_unix_us(end.hdr.ktime_ns);
  event_.timestamp_us = *event_.end_time_us;
  event_.in_bytes = end.app_bytes_in;
  event_.out_bytes = end.app_bytes_out;
  event_.end_reason = end_reason_of(end.close_cause);
  fill_counters(f, end.packets, end.implied_flags, end.syn_seq, e.reset_after_close);
  if (e.reset_after_close) event_.end_reason = EndReason::reset;  // the close was abortive
  f.period.narrow(event_);
  emit_(event_);
}

void FlowTable::fill_counters(const Tracked& f, uint64_t socket_packets, uint8_t implied_flags,
                              uint32_t syn_seq, bool reset_after_close) {
  event_.packet_count = socket_packets;
  event_.tcp_flags = implied_flags;
  bool counted_on_wire = false;
  if (ctx_.wire && tuple_complete(f)) {
    if (auto seen = ctx_.wire->lookup(f.tuple, syn_seq)) {
      event_.tcp_flags |= seen->tcp_flags;
      if (seen->from_syn) {
        event_.packet_count = seen->packets;
        counted_on_wire = true;
      }
    }
  }
  if (reset_after_close) {
    // Sent after TCP_CLOSE: in no socket counter, on the wire if TC saw it.
    event_.tcp_flags |= tcp_flag::rst;
    if (!counted_on_wire) *event_.packet_count += 1;
  }
}

void FlowTable::emit_stop(Tracked& f, uint64_t now_ns) {
  if (!f.start_emitted) emit_start(f);
  finish_conversation(f);
  stats_.ends++;
  if (!fill_common(event_, f)) return;
  if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
  event_.action = FlowAction::end;
  event_.end_time_us = ctx_.clock.to_unix_us(now_ns);
  event_.timestamp_us = *event_.end_time_us;
  event_.end_reason = EndReason::tracer_stop;
  if (f.snapshot) {
    event_.in_bytes = f.snapshot->app_bytes_in;
    event_.out_bytes = f.snapshot->app_bytes_out;
    fill_counters(f, f.snapshot->packets, f.snapshot->implied_flags, f.snapshot->syn_seq, false);
  }
  f.period.narrow(event_);
  emit_(event_);
}

void FlowTable::report_period(uint64_t now_ns) {
  const uint64_t now_us = ctx_.clock.to_unix_us(now_ns);
  for (auto& [sock_id, f] : open_) {
    if (!f.start_emitted || !f.snapshot) continue;
    const pf_tcp_snapshot snap = *f.snapshot;
    f.snapshot.reset();  // the next period needs a snapshot of its own
    if (!fill_common(event_, f)) continue;
    if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
    event_.action = FlowAction::end;
    event_.end_time_us = now_us;
    event_.timestamp_us = now_us;
    event_.end_reason = EndReason::interval;
    event_.in_bytes = snap.app_bytes_in;
    event_.out_bytes = snap.app_bytes_out;
    fill_counters(f, snap.packets, snap.implied_flags, snap.syn_seq, false);
    f.period.narrow(event_);
    emit_(event_);
    f.period.advance(event_, now_us);
    stats_.periods++;

    if (!fill_common(event_, f)) continue;
    event_.action = FlowAction::start;
    event_.start_time_us = now_us;
    event_.timestamp_us = now_us;
    event_.continued = true;
    emit_(event_);
  }
}

}  // namespace procflow
