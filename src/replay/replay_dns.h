// The DNS half of `procflow replay`: DNS responses found in a capture teach a DnsCache which name
// each answered address was asked for, and flows that start later are named from it, as the live
// tracer names flows from the responses its TC programs copy up.
//
// Parsing is the shared ldns-based parser (dns/dns_message.h); naming is the shared NameResolver,
// here with an empty hosts table and no own addresses: a capture may come from any machine, so
// this host's /etc/hosts and interfaces say nothing about its addresses. Everything is in scope 0
// (a capture has no network namespaces) and on the capture's clock, so TTLs expire as they did
// when the traffic was recorded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "enrich/dns_cache.h"
#include "enrich/name_resolver.h"
#include "replay/packet_parser.h"

namespace procflow {

struct ReplayDnsStats {
  uint64_t messages = 0;         // parsed DNS responses (queries are not counted)
  uint64_t address_answers = 0;  // A/AAAA records in NOERROR responses
  uint64_t rejected = 0;         // payloads on a DNS port the parser refused
  uint64_t fragmented = 0;       // UDP responses split over IP fragments: not reassembled
  uint64_t cut_short = 0;        // payloads the snap length cut: not parseable
  uint64_t tcp_resyncs = 0;      // TCP streams that lost their place (gap, bad length prefix)
};

// One direction of a TCP connection on a DNS port, in sequence order, until a whole
// length-prefixed message is there. Out-of-order segments are not queued: a gap drops what was
// buffered and the stream restarts at the next segment, assuming a message starts there (which
// is where responses start in practice).
class DnsTcpStream {
 public:
  size_t buffered() const { return buffer_.size(); }

 private:
  friend class ReplayDns;
  bool synced_ = false;
  uint32_t next_seq_ = 0;
  std::vector<uint8_t> buffer_;
};

class ReplayDns {
 public:
  // Responses come from these server ports: DNS, mDNS (RFC 6762), LLMNR (RFC 4795).
  static bool is_dns_port(uint16_t port) { return port == 53 || port == 5353 || port == 5355; }
  // All TCP streams together buffer at most this much; a stream that would go over drops its
  // buffer (counted as a resync). A partial message is at most 64 KiB, so this allows hundreds
  // of large responses in flight at once.
  static constexpr size_t max_buffered_bytes = 32u << 20;

  explicit ReplayDns(DnsCacheConfig config = {});
  ReplayDns(const ReplayDns&) = delete;
  ReplayDns& operator=(const ReplayDns&) = delete;

  // A UDP datagram (the parser's result); learns from it when it comes from a DNS port.
  void on_udp(const ParsedPacket& p, uint64_t now_s);
  // A TCP segment sent from a DNS port, in the direction `stream` follows.
  void on_tcp(DnsTcpStream& stream, const ParsedPacket& p, uint64_t now_s);
  // The stream's connection is gone: its buffer no longer counts against the bound.
  void release(DnsTcpStream& stream);

  // The name the capture's DNS answers give `address` at `now_s` (fqdn "" when
  // none), with the end of the CNAME chain behind it.
  ResolvedName name_of(const IpAddress& address, uint64_t now_s);

  const ReplayDnsStats& stats() const { return stats_; }
  const DnsCache& cache() const { return cache_; }

 private:
  void learn(const std::optional<DnsMessage>& message, uint64_t now_s);
  void drop(DnsTcpStream& stream);

  DnsCache cache_;
  NameResolver names_;
  ReplayDnsStats stats_;
  size_t buffered_ = 0;
};

}  // namespace procflow
