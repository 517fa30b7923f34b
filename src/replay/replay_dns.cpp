#include "replay/replay_dns.h"

#include <optional>

#include "dns/dns_message.h"
#include "enrich/hosts_file.h"

namespace procflow {
namespace {

constexpr uint16_t mdns_port = 5353;
constexpr size_t tcp_length_prefix = 2;

}  // namespace

ReplayDns::ReplayDns(DnsCacheConfig config)
    : cache_(config), names_(cache_, HostsTable{}, {}, std::string{}) {}

void ReplayDns::learn(const std::optional<DnsMessage>& m, uint64_t now_s) {
  if (!m) {
    stats_.rejected++;
    return;
  }
  if (!m->is_response) return;
  stats_.messages++;
  if (m->rcode == dns_rcode::noerror) {
    for (const DnsRecord& r : m->answers)
      if (r.type == dns_type::a || r.type == dns_type::aaaa) stats_.address_answers++;
  }
  cache_.add(0, *m, now_s);
}

void ReplayDns::on_udp(const ParsedPacket& p, uint64_t now_s) {
  if (!is_dns_port(p.src_port)) return;
  if (p.fragmented) {
    stats_.fragmented++;
    return;
  }
  if (p.payload.size() < p.payload_bytes) {
    stats_.cut_short++;
    return;
  }
  DnsParseLimits limits;
  // mDNS responses carry no question section (RFC 6762 6).
  limits.require_question = p.src_port != mdns_port;
  learn(parse_dns_message(p.payload, nullptr, limits), now_s);
}

void ReplayDns::drop(DnsTcpStream& stream) {
  buffered_ -= stream.buffer_.size();
  stream.buffer_.clear();
  stream.synced_ = false;
}

void ReplayDns::release(DnsTcpStream& stream) {
  drop(stream);
  stream.buffer_.shrink_to_fit();
}

void ReplayDns::on_tcp(DnsTcpStream& s, const ParsedPacket& p, uint64_t now_s) {
  uint32_t seq = p.tcp_seq;
  if (p.tcp_flags & tcp_flag::syn) {
    // A SYN starts the byte stream afresh (and takes one sequence number).
    drop(s);
    s.synced_ = true;
    s.next_seq_ = ++seq;
  }
  if (p.payload_bytes == 0) return;
  if (p.fragmented || p.payload.size() < p.payload_bytes) {
    // Bytes the capture does not have: the stream cannot continue past them.
    stats_.cut_short++;
    drop(s);
    return;
  }
  std::span<const uint8_t> data = p.payload;
  if (s.synced_) {
    const auto ahead = static_cast<int32_t>(seq - s.next_seq_);  // serial-number arithmetic
    if (ahead > 0) {
      stats_.tcp_resyncs++;  // a segment is missing; restart here
      drop(s);
    } else if (ahead < 0) {
      const auto seen = static_cast<uint64_t>(-static_cast<int64_t>(ahead));
      if (seen >= data.size()) return;  // a retransmission of bytes already taken
      data = data.subspan(seen);
      seq += static_cast<uint32_t>(seen);
    }
  }
  if (buffered_ + data.size() > max_buffered_bytes) {
    stats_.tcp_resyncs++;
    drop(s);
    return;
  }
  s.buffer_.insert(s.buffer_.end(), data.begin(), data.end());
  buffered_ += data.size();
  s.synced_ = true;
  s.next_seq_ = seq + static_cast<uint32_t>(data.size());

  // Every whole message now in the buffer.
  const std::span<const uint8_t> all(s.buffer_);
  size_t used = 0;
  while (all.size() - used >= tcp_length_prefix) {
    const size_t length = static_cast<size_t>(all[used] << 8 | all[used + 1]);
    if (length == 0) {
      // Not a DNS length prefix: whatever this stream carries, we lost its framing.
      stats_.tcp_resyncs++;
      drop(s);
      return;
    }
    if (all.size() - used - tcp_length_prefix < length) break;  // wait for the rest
    size_t consumed = 0;
    learn(parse_dns_over_tcp(all.subspan(used), nullptr, &consumed), now_s);
    used += tcp_length_prefix + length;
  }
  s.buffer_.erase(s.buffer_.begin(), s.buffer_.begin() + static_cast<std::ptrdiff_t>(used));
  buffered_ -= used;
}

ResolvedName ReplayDns::name_of(const IpAddress& address, uint64_t now_s) {
  return names_.resolve(0, address, now_s);
}

}  // namespace procflow
