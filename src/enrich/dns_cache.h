// Names for addresses, learned from the DNS responses procflow sees: every
// address a response answers is mapped to the name the client asked for.
//
// Why the asked name: that is the name the application used ("api.example.com"),
// while the end of a CNAME chain is usually a CDN host nobody typed
// ("d2x2r9xi9rd3sc.cloudfront.net"). The end of the chain is kept as
// `canonical` for those who want it.
//
// Scopes: addresses overlap between network namespaces (two containers can
// both talk to 10.0.0.2 and mean different hosts), so entries are keyed by a
// scope, the network-namespace id the response was seen in. Scope 0 means
// "host / namespace unknown" (responses seen on host interfaces, pcap
// replay): a lookup tries its own scope first and then scope 0, so answers
// whose namespace is unknown still name flows everywhere, but a namespace's
// own answers win over them.
//
// Bounded: at most `max_entries` addresses (LRU eviction; a lookup hit
// counts as use), and every name is at most what DnsParseLimits lets through.
// Not thread-safe: the flow pipeline owns it from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/dns_message.h"
#include "procflow/flow_event.h"

namespace procflow {

struct DnsName {
  std::string fqdn;                     // the name the client asked for
  NameSource source = NameSource::dns;  // dns, or mdns/llmnr for link-local names
  // End of the CNAME chain; empty when there was none (the asked name is
  // itself canonical), which keeps the common case to one string per entry.
  std::string canonical;
};

struct DnsCacheConfig {
  size_t max_entries = 100'000;  // addresses kept (over all scopes); 0 disables the cache
  // Clients keep using an address after its TTL (browsers, connection pools,
  // a connect that follows the answer by a few seconds), and CDNs hand out
  // TTLs of seconds; without a floor those flows would go unnamed.
  uint32_t ttl_floor_s = 60;
  // An absurd TTL (up to 68 years on the wire) must not pin a stale name.
  uint32_t ttl_cap_s = 86'400;
  // CNAME hops followed from the question; resolvers stop around 8-16 too.
  size_t max_chain_depth = 16;
};

class DnsCache {
 public:
  explicit DnsCache(DnsCacheConfig config = {});

  // Learns from one message seen at `now_s` (any monotonic seconds, the
  // same clock as lookups). Only successful (NOERROR) QUERY responses with
  // answers teach anything; NXDOMAIN, empty answers and queries add nothing.
  // A/AAAA records count when their owner is the question name or reached
  // from it through the response's CNAME chain (what the client's resolver
  // would use); with no question (mDNS) each record names its own address.
  // The entry lives for the smallest TTL along the chain, clamped to
  // [ttl_floor_s, ttl_cap_s]. A newer answer for an address replaces the
  // older one (last answer wins: shared hosting gives one address many names).
  void add(uint64_t scope, const DnsMessage& m, uint64_t now_s,
           NameSource source = NameSource::dns);

  // The name of `address` (IPv4-mapped IPv6 is looked up as IPv4) in
  // `scope`, else in scope 0; std::nullopt when unknown or expired.
  std::optional<DnsName> lookup(uint64_t scope, const IpAddress& address, uint64_t now_s);
  // Same without copying: the pointer is valid until the next non-const call.
  const DnsName* find(uint64_t scope, const IpAddress& address, uint64_t now_s);

  size_t size() const { return index_.size(); }
  // Approximate heap use: list and hash nodes, the bucket array and the
  // names' heap buffers (short names live inside the string object), each
  // block rounded the way glibc's malloc sizes its chunks. Excludes the
  // allocator's free lists and fragmentation, so RSS grows somewhat more.
  size_t memory_bytes() const;
  uint64_t evictions() const { return evictions_; }  // entries dropped for room (not expiry)
  // find()/lookup() that named the address, or did not (no entry, or an expired one).
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  const DnsCacheConfig& config() const { return config_; }

 private:
  struct Key {
    uint64_t scope = 0;
    IpAddress address;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    uint64_t seed;
    size_t operator()(const Key& k) const noexcept;
  };
  struct Entry {
    Key key;
    DnsName name;
    uint64_t expires_s = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void insert(const Key& key, std::string_view fqdn, std::string_view canonical, uint64_t expires_s,
              NameSource source);
  void erase(Lru::iterator it);
  static size_t string_heap_bytes(const std::string& s);

  DnsCacheConfig config_;
  Lru lru_;
  std::unordered_map<Key, Lru::iterator, KeyHash> index_;
  size_t string_bytes_ = 0;  // heap bytes of all names, kept current on insert/erase
  uint64_t evictions_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace procflow
