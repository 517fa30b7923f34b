#include "replay/replay_flows.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "enrich/community_id.h"
#include "enrich/host_names.h"
#include "replay/replay_flow.h"
#include "replay/tcp_sequence.h"

namespace procflow {

namespace {

bool syn_without_ack(const ParsedPacket& p) {
  return p.ip_proto == ip_proto_tcp &&
         (p.tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn;
}

}  // namespace

size_t ReplayFlows::KeyHash::operator()(const Key& k) const noexcept {
  static_assert(sizeof(Key) == 38, "Key must have no padding: its bytes are hashed");
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
}

ReplayFlows::ReplayFlows(ReplayOptions options, Emit emit)
    : options_(std::move(options)), emit_(std::move(emit)), dns_(options_.dns) {}

ReplayFlows::~ReplayFlows() = default;

size_t ReplayFlows::open_flows() const {
  return flows_.size() - closed_.size();
}

ReplayFlows::Key ReplayFlows::key_of(const ParsedPacket& p) {
  Key k;
  k.ip_proto = p.ip_proto;
  k.family = p.src_ip.family;
  int order = std::memcmp(p.src_ip.bytes.data(), p.dest_ip.bytes.data(), p.src_ip.bytes.size());
  if (order == 0) order = p.src_port < p.dest_port ? -1 : p.src_port > p.dest_port ? 1 : 0;
  const bool src_first = order <= 0;
  k.addr_a = src_first ? p.src_ip.bytes : p.dest_ip.bytes;
  k.addr_b = src_first ? p.dest_ip.bytes : p.src_ip.bytes;
  k.port_a = src_first ? p.src_port : p.dest_port;
  k.port_b = src_first ? p.dest_port : p.src_port;
  return k;
}

void ReplayFlows::add(const ParsedPacket& p, uint64_t ts_us, uint32_t frame_bytes) {
  if (p.ip_proto != ip_proto_tcp && p.ip_proto != ip_proto_udp) return;
  if (p.src_ip.family != p.dest_ip.family || !p.src_ip.is_set()) return;
  stats_.packets++;
  now_us_ = std::max(now_us_, ts_us);
  expire(now_us_);
  flush_idle_messages();

  const Key key = key_of(p);
  Flow* f = nullptr;
  if (auto it = flows_.find(key); it != flows_.end()) {
    f = it->second.get();
    if (f->closed) {
      if (!syn_without_ack(p)) {
        stats_.after_close++;
        return;
      }
      erase(it);  // a new connection on the same 5-tuple
      f = nullptr;
    } else if (syn_without_ack(p) && (f->fin[0] || f->fin[1])) {
      // The old connection was closing and its last packets were not captured.
      end_flow(*f, f->fin[0] && f->fin[1] ? EndReason::close : EndReason::none);
      erase(it);
      f = nullptr;
    }
  }
  if (!f) {
    if (flows_.size() >= options_.max_flows) {
      stats_.table_full++;
      return;
    }
    f = start_flow(key, p, ts_us);
  }
  count(*f, p, ts_us, frame_bytes);
}

ReplayFlows::Flow* ReplayFlows::start_flow(const Key& key, const ParsedPacket& p, uint64_t ts_us) {
  auto owned = std::make_unique<Flow>();
  Flow& f = *owned;
  f.key = key;
  f.serial = stats_.flows_started++;
  ReplayFlowRecord& r = f.record;
  r.ip_proto = p.ip_proto;
  // A SYN+ACK first means its SYN was missed: the receiver opened the connection.
  const bool reply_first =
      p.ip_proto == ip_proto_tcp &&
      (p.tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == (tcp_flag::syn | tcp_flag::ack);
  r.initiator_ip = reply_first ? p.dest_ip : p.src_ip;
  r.initiator_port = reply_first ? p.dest_port : p.src_port;
  r.responder_ip = reply_first ? p.src_ip : p.dest_ip;
  r.responder_port = reply_first ? p.src_port : p.dest_port;
  r.first_us = r.last_us = ts_us;
  FlowLabels& labels = f.labels;
  labels.named = true;
  labels.community_id =
      community_id(r.initiator_ip, r.responder_ip, r.initiator_port, r.responder_port, r.ip_proto);
  const uint64_t now_s = now_us_ / 1'000'000;
  const ResolvedName src = dns_.name_of(r.initiator_ip, now_s);
  const ResolvedName dest = dns_.name_of(r.responder_ip, now_s);
  labels.src_fqdn = src.fqdn;
  labels.src_canonical = src.canonical;
  labels.dest_fqdn = dest.fqdn;
  labels.dest_canonical = dest.canonical;
  if (!src.fqdn.empty()) labels.src_source = NameSource::dns;
  if (!dest.fqdn.empty()) labels.dest_source = NameSource::dns;
  if (r.ip_proto == ip_proto_udp) f.position = udp_lru_.insert(udp_lru_.end(), &f);
  flows_.emplace(key, std::move(owned));

  fill_event(event_, f);
  event_.action = FlowAction::start;
  event_.timestamp_us = r.first_us;
  emit_(event_, r);
  return &f;
}

void ReplayFlows::count(Flow& f, const ParsedPacket& p, uint64_t ts_us, uint32_t frame_bytes) {
  ReplayFlowRecord& r = f.record;
  // A flow from an endpoint to itself has one endpoint: its packets count as sent.
  const bool from_initiator = p.src_ip == r.initiator_ip && p.src_port == r.initiator_port;
  DirectionCounters& c = from_initiator ? r.out : r.in;
  c.packets++;
  c.frame_bytes += frame_bytes;
  c.ip_bytes += p.ip_bytes;
  c.payload_bytes += p.payload_bytes;
  if (p.fragmented) r.fragmented_datagrams++;
  r.last_us = std::max(r.last_us, ts_us);
  f.active_us = now_us_;
  const uint64_t now_s = now_us_ / 1'000'000;
  // A SYN carries where its side's stream starts.
  if (options_.conversations && (!p.payload.empty() || (p.tcp_flags & tcp_flag::syn)))
    add_content(f, p, from_initiator);

  if (r.ip_proto == ip_proto_udp) {
    udp_lru_.splice(udp_lru_.end(), udp_lru_, f.position);  // now the most recently active
    dns_.on_udp(p, now_s);
    return;
  }
  r.tcp_flags |= p.tcp_flags;
  if (ReplayDns::is_dns_port(p.src_port)) {
    auto& stream = f.dns[from_initiator ? 0 : 1];
    if (!stream) stream = std::make_unique<DnsTcpStream>();
    dns_.on_tcp(*stream, p, now_s);
  }
  track_tcp(f, from_initiator, p);
}

void ReplayFlows::track_tcp(Flow& f, bool from_initiator, const ParsedPacket& p) {
  if (p.tcp_flags & tcp_flag::rst) {
    end_flow(f, EndReason::reset);
  } else {
    const int d = from_initiator ? 0 : 1;
    const int other = 1 - d;
    if ((p.tcp_flags & tcp_flag::ack) && f.fin[other] &&
        seq_at_or_after(p.tcp_ack, f.fin_next[other]))
      f.fin_acked[other] = true;
    if (p.tcp_flags & tcp_flag::fin) {
      // The FIN takes the sequence number after the segment's data (and after a SYN's).
      f.fin[d] = true;
      f.fin_next[d] = data_seq_of(p) + p.payload_bytes + 1u;
    }
    if (!(f.fin_acked[0] && f.fin_acked[1])) return;
    end_flow(f, EndReason::close);
  }
  f.closed = true;
  f.closed_us = now_us_;
  f.position = closed_.insert(closed_.end(), &f);
}

void ReplayFlows::end_flow(Flow& f, EndReason reason) {
  ReplayFlowRecord& r = f.record;
  r.end_reason = reason;
  stats_.flows_ended++;
  std::string protocol;
  if (f.content) {
    finish_messages(f);
    protocol = f.content->conversation.application_protocol();
    talking_.erase(f.content->talking);
    f.content.reset();
  }
  fill_event(event_, f);
  event_.application_protocol = std::move(protocol);
  event_.action = FlowAction::end;
  event_.end_time_us = r.last_us;
  event_.timestamp_us = r.last_us;
  event_.end_reason = reason;
  event_.out_bytes = r.out.payload_bytes;
  event_.in_bytes = r.in.payload_bytes;
  event_.packet_count = r.out.packets + r.in.packets;
  event_.tcp_flags = r.tcp_flags;
  emit_(event_, r);
  for (auto& stream : f.dns) {
    if (stream) dns_.release(*stream);
    stream.reset();
  }
}

void ReplayFlows::erase(Table::iterator it) {
  Flow& f = *it->second;
  if (f.closed)
    closed_.erase(f.position);
  else if (f.record.ip_proto == ip_proto_udp)
    udp_lru_.erase(f.position);
  for (auto& stream : f.dns)
    if (stream) dns_.release(*stream);
  if (f.content) talking_.erase(f.content->talking);
  flows_.erase(it);
}

void ReplayFlows::expire(uint64_t now_us) {
  while (!udp_lru_.empty()) {
    Flow* f = udp_lru_.front();
    if (now_us - f->active_us < options_.udp_idle_timeout_us) break;
    end_flow(*f, EndReason::timeout);
    erase(flows_.find(f->key));
  }
  while (!closed_.empty()) {
    Flow* f = closed_.front();
    if (now_us - f->closed_us < options_.close_linger_us) break;
    erase(flows_.find(f->key));
  }
}

void ReplayFlows::finish() {
  std::vector<Flow*> open;
  for (auto& [key, f] : flows_)
    if (!f->closed) open.push_back(f.get());
  std::sort(open.begin(), open.end(),
            [](const Flow* a, const Flow* b) { return a->serial < b->serial; });
  for (Flow* f : open) end_flow(*f, f->fin[0] && f->fin[1] ? EndReason::close : EndReason::none);
  udp_lru_.clear();
  closed_.clear();
  talking_.clear();
  flows_.clear();
}

void ReplayFlows::fill_event(FlowEvent& ev, const Flow& f) const {
  const ReplayFlowRecord& r = f.record;
  ev.clear();
  ev.transport = r.ip_proto;
  ev.src_ip = r.initiator_ip;
  ev.dest_ip = r.responder_ip;
  ev.src_port = r.initiator_port;
  ev.dest_port = r.responder_port;
  const FlowLabels& labels = f.labels;
  ev.src_fqdn = labels.src_fqdn;
  ev.dest_fqdn = labels.dest_fqdn;
  ev.src_canonical = labels.src_canonical;
  ev.dest_canonical = labels.dest_canonical;
  ev.src_fqdn_source = labels.src_source;
  ev.dest_fqdn_source = labels.dest_source;
  fill_short_hostnames(ev);
  ev.network_direction = options_.networks.classify(r.initiator_ip, r.responder_ip);
  ev.community_id = labels.community_id;
  ev.start_time_us = r.first_us;
}

}  // namespace procflow
