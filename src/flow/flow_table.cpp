#include "flow/flow_table.h"

#include <cstring>

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

pf_pkt_key FlowTable::packet_key(const pf_tuple& t) {
  pf_pkt_key k{};
  k.proto = t.proto;
  // A dual-stack socket talking IPv4 has mapped addresses; on the wire (and so
  // in TC's key) the packets are plain IPv4.
  const IpAddress src = tuple_address(t.saddr, t.family);
  const IpAddress dst = tuple_address(t.daddr, t.family);
  k.family = src.family;
  const size_t n = src.size();
  int cmp = std::memcmp(src.bytes.data(), dst.bytes.data(), n);
  bool keep = cmp < 0 || (cmp == 0 && t.sport <= t.dport);
  std::memcpy(k.addr_lo, (keep ? src : dst).bytes.data(), n);
  std::memcpy(k.addr_hi, (keep ? dst : src).bytes.data(), n);
  k.port_lo = keep ? t.sport : t.dport;
  k.port_hi = keep ? t.dport : t.sport;
  return k;
}

bool FlowTable::tuple_complete(const Tracked& f) const {
  return f.tuple.sport != 0 && f.tuple.dport != 0;
}

bool FlowTable::owner_settled(const Tracked& f) const {
  return f.owner_source == PF_OWNER_CONNECT || f.owner_source == PF_OWNER_ACCEPT ||
         f.owner_source == PF_OWNER_SENDRECV;
}

void FlowTable::on_tcp_start(const pf_tcp_start& rec) {
  Tracked& f = open_[rec.sock_id];
  f = Tracked{};
  f.sock_id = rec.sock_id;
  f.netns = rec.netns;
  f.tuple = rec.tuple;
  f.owner = rec.owner;
  f.owner_source = rec.owner_source;
  f.initiated = rec.initiated != 0;
  f.start_ns = rec.hdr.ktime_ns;
  awaiting_start_.insert(rec.sock_id);
  maybe_emit_start(f, rec.hdr.ktime_ns, false);
}

void FlowTable::on_tcp_owner(const pf_tcp_owner& rec) {
  auto it = open_.find(rec.sock_id);
  if (it == open_.end()) {
    stats_.unknown_sockets++;
    return;
  }
  it->second.owner = rec.owner;
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
  it->second.tuple = rec.tuple;
  maybe_emit_start(it->second, rec.hdr.ktime_ns, false);
}

void FlowTable::on_tcp_snapshot(const pf_tcp_snapshot& rec) {
  auto it = open_.find(rec.sock_id);
  if (it != open_.end()) it->second.snapshot = rec;
}

void FlowTable::on_tcp_end(const pf_tcp_end& rec) {
  auto it = open_.find(rec.sock_id);
  if (it == open_.end()) {
    stats_.unknown_sockets++;
    return;
  }
  Tracked& f = it->second;
  if (rec.tuple.sport != 0) f.tuple = rec.tuple;  // a failed connect learns its port here
  maybe_emit_start(f, rec.hdr.ktime_ns, true);
  ending_.push_back(Ending{std::move(f), rec, rec.hdr.ktime_ns + options_.linger_ns});
  awaiting_start_.erase(rec.sock_id);
  open_.erase(it);
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
  while (!ending_.empty() && ending_.front().due_ns <= now_ns) {
    emit_end(ending_.front());
    ending_.pop_front();
  }
}

void FlowTable::finish(uint64_t now_ns) {
  while (!ending_.empty()) {
    emit_end(ending_.front());
    ending_.pop_front();
  }
  for (auto& [id, f] : open_) emit_stop(f, now_ns);
  open_.clear();
  awaiting_start_.clear();
}

void FlowTable::fill_common(FlowEvent& ev, Tracked& f) {
  enricher_.fill_flow(ev, f.tuple, f.netns, f.initiated, f.start_ns, &f.labels);
  if (f.owner_source != PF_OWNER_NONE) enricher_.fill_owner(ev, f.owner);
}

void FlowTable::emit_start(Tracked& f) {
  f.start_emitted = true;
  awaiting_start_.erase(f.sock_id);
  stats_.starts++;
  fill_common(event_, f);
  event_.action = FlowAction::start;
  event_.timestamp_us = *event_.start_time_us;
  emit_(event_);
}

void FlowTable::emit_end(Ending& e) {
  stats_.ends++;
  Tracked& f = e.flow;
  const pf_tcp_end& end = e.end;
  fill_common(event_, f);
  event_.action = FlowAction::end;
  event_.end_time_us = ctx_.clock.to_unix_us(end.hdr.ktime_ns);
  event_.timestamp_us = *event_.end_time_us;
  event_.in_bytes = end.app_bytes_in;
  event_.out_bytes = end.app_bytes_out;
  event_.tcp_flags = end.implied_flags;
  event_.packet_count = uint64_t{end.segs_in} + end.segs_out;
  event_.end_reason = end_reason_of(end.close_cause);
  if (ctx_.packets && tuple_complete(f)) {
    pf_pkt_key key = packet_key(f.tuple);
    if (auto stats = ctx_.packets->lookup(key)) {
      event_.packet_count = stats->packets;
      event_.tcp_flags |= stats->tcp_flags;
      if (stats->tcp_flags & tcp_flag::rst) event_.end_reason = EndReason::reset;
    }
    ctx_.packets->release(key, end.hdr.ktime_ns);
  }
  emit_(event_);
}

void FlowTable::emit_stop(Tracked& f, uint64_t now_ns) {
  if (!f.start_emitted) emit_start(f);
  stats_.ends++;
  fill_common(event_, f);
  event_.action = FlowAction::end;
  event_.end_time_us = ctx_.clock.to_unix_us(now_ns);
  event_.timestamp_us = *event_.end_time_us;
  event_.end_reason = EndReason::tracer_stop;
  if (f.snapshot) {
    event_.in_bytes = f.snapshot->app_bytes_in;
    event_.out_bytes = f.snapshot->app_bytes_out;
    event_.packet_count = uint64_t{f.snapshot->segs_in} + f.snapshot->segs_out;
    event_.tcp_flags = f.snapshot->implied_flags;
  }
  if (ctx_.packets && tuple_complete(f)) {
    if (auto stats = ctx_.packets->lookup(packet_key(f.tuple))) {
      event_.packet_count = stats->packets;
      event_.tcp_flags |= stats->tcp_flags;
    }
  }
  emit_(event_);
}

}  // namespace procflow
