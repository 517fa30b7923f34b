#include "flow/udp_flow_table.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace procflow {

bool UdpFlowTable::KeyLess::operator()(const pf_udp_key& a, const pf_udp_key& b) const {
  if (a.sock_id != b.sock_id) return a.sock_id < b.sock_id;
  return std::memcmp(&a, &b, sizeof a) < 0;
}

UdpFlowTable::UdpFlowTable(FlowContext context, UdpStatsSource& stats, Emit emit,
                           UdpFlowTableOptions options)
    : ctx_(context), enricher_(context), stats_(stats), emit_(std::move(emit)), options_(options) {}

SocketEndpoints UdpFlowTable::endpoints_of(const pf_udp_start& s) {
  return socket_endpoints(tuple_address(s.tuple.saddr, s.tuple.family), s.tuple.sport,
                          tuple_address(s.tuple.daddr, s.tuple.family), s.tuple.dport,
                          s.initiated != 0);
}

void UdpFlowTable::on_udp_start(const pf_udp_start& rec) {
  auto [it, fresh] = flows_.try_emplace(rec.key);
  if (!fresh) {
    endpoints_.remove(endpoints_of(it->second.start), it->second.start.netns);
    conversations_.remove(peer_key_of(it->second.start), rec.key);
    talking_.erase(rec.key);
  }
  const SocketEndpoints e = endpoints_of(rec);
  endpoints_.add(e, rec.netns);
  it->second = Tracked{rec, OwnerView{}, FlowLabels{}};
  starts_++;
  Tracked& f = it->second;
  enricher_.resolve_owner(rec.owner, &f.owner);
  if (fill_flow(f)) {
    event_.action = FlowAction::start;
    event_.timestamp_us = *event_.start_time_us;
    emit_(event_);
  }
  if (!ctx_.conversations) return;
  const ConversationKey key = peer_key(e.peer, e.peer_port, e.local_port);
  conversations_.add(key, rec.key);
  // What it received (or sent) before its start was read: its first messages.
  unmatched_.take(key, [&](const PayloadChunk& c) {
    const bool sent = c.sport == e.local_port && c.dst.unmapped() == e.peer.unmapped();
    add_chunk(rec.key, f, c, sent ? MessageDirection::out : MessageDirection::in);
  });
}

void UdpFlowTable::on_udp_release(const pf_udp_release& rec) {
  pf_udp_key first{};
  first.sock_id = rec.sock_id;
  auto it = flows_.lower_bound(first);
  while (it != flows_.end() && it->first.sock_id == rec.sock_id) {
    pf_udp_stats s{};
    if (auto taken = stats_.take(it->first)) s = *taken;
    emit_end(it->second, s, rec.hdr.ktime_ns, EndReason::close);
    it = flows_.erase(it);
  }
}

void UdpFlowTable::tick(uint64_t now_ns) {
  flush_quiet_turns(now_ns);
  if (now_ns - last_sweep_ns_ < options_.sweep_interval_ns) return;
  last_sweep_ns_ = now_ns;
  std::vector<std::pair<pf_udp_key, pf_udp_stats>> idle;
  stats_.read_all([&](const pf_udp_key& key, const pf_udp_stats& s) {
    if (now_ns > s.last_ns && now_ns - s.last_ns >= options_.idle_timeout_ns)
      idle.emplace_back(key, s);
  });
  for (const auto& [key, s] : idle) {
    auto it = flows_.find(key);
    auto final_stats = stats_.take(key).value_or(s);
    if (it == flows_.end()) continue;  // its start was lost: nothing to end
    emit_end(it->second, final_stats, final_stats.last_ns, EndReason::timeout);
    flows_.erase(it);
  }
}

void UdpFlowTable::finish(uint64_t now_ns) {
  std::map<pf_udp_key, pf_udp_stats, KeyLess> latest;
  stats_.read_all([&](const pf_udp_key& key, const pf_udp_stats& s) { latest[key] = s; });
  for (auto& [key, f] : flows_) {
    auto it = latest.find(key);
    emit_end(f, it == latest.end() ? pf_udp_stats{} : it->second, now_ns, EndReason::tracer_stop);
  }
  flows_.clear();
  unmatched_.clear();
}

bool UdpFlowTable::fill_flow(Tracked& f) {
  const pf_udp_start& st = f.start;
  if (!enricher_.wanted(st.tuple, f.owner)) return false;
  enricher_.fill_flow(event_, st.tuple, st.netns, st.initiated != 0, st.hdr.ktime_ns, &f.labels);
  enricher_.fill_owner(event_, f.owner);
  return true;
}

void UdpFlowTable::report_period(uint64_t now_ns) {
  const uint64_t now_us = ctx_.clock.to_unix_us(now_ns);
  stats_.read_all([&](const pf_udp_key& key, const pf_udp_stats& s) {
    auto it = flows_.find(key);
    if (it == flows_.end()) return;
    Tracked& f = it->second;
    if (!fill_flow(f)) return;
    if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
    event_.action = FlowAction::end;
    event_.end_time_us = std::max(now_us, *event_.start_time_us);
    event_.timestamp_us = *event_.end_time_us;
    event_.end_reason = EndReason::interval;
    event_.in_bytes = s.bytes_in;
    event_.out_bytes = s.bytes_out;
    event_.packet_count = s.dgrams_in + s.dgrams_out;
    f.period.narrow(event_);
    emit_(event_);
    f.period.advance(event_, *event_.end_time_us);

    fill_flow(f);
    event_.action = FlowAction::start;
    event_.start_time_us = f.period.start_us;
    event_.timestamp_us = *event_.start_time_us;
    event_.continued = true;
    emit_(event_);
  });
}

void UdpFlowTable::emit_end(Tracked& f, const pf_udp_stats& s, uint64_t end_ns, EndReason reason) {
  ends_++;
  endpoints_.remove(endpoints_of(f.start), f.start.netns);
  finish_conversation(f.start.key, f);
  if (!fill_flow(f)) return;
  if (f.conversation) event_.application_protocol = f.conversation->application_protocol();
  event_.action = FlowAction::end;
  // A flow never ends before it started, whatever the clocks of the records
  // that told its start and its end.
  event_.end_time_us = std::max(ctx_.clock.to_unix_us(end_ns), *event_.start_time_us);
  event_.timestamp_us = *event_.end_time_us;
  event_.end_reason = reason;
  event_.in_bytes = s.bytes_in;
  event_.out_bytes = s.bytes_out;
  event_.packet_count = s.dgrams_in + s.dgrams_out;
  f.period.narrow(event_);
  // An idle flow's last datagram may precede the start of its last period.
  event_.end_time_us = std::max(*event_.end_time_us, *event_.start_time_us);
  event_.timestamp_us = *event_.end_time_us;
  emit_(event_);
}

}  // namespace procflow
