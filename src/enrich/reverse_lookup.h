// Reverse (PTR) names for addresses that no better source names: the last
// resort after the DNS cache, /etc/hosts and the host's own addresses.
//
// Off by default and never on the event path: asking a DNS server takes
// milliseconds to seconds, and a flow's event must not wait for it. The event
// path only reads what earlier answers taught (cached()) and notes the
// addresses it would like named (request()); neither blocks nor makes a
// system call. The queries themselves go out and come back in process(),
// which the caller's event loop runs next to its other work, so a flow seen
// before its address's answer arrives is simply unnamed, and later flows to
// the same address get the name.
//
// Bounded in every direction, because the addresses come from traffic anyone
// can send (a port scan from a /64 would otherwise become a flood of PTR
// queries to the resolver, and a cache the size of the scan):
// - queries: a token bucket of max_queries_per_s (bursts up to one second's
//   worth); requests beyond it are dropped and counted, not deferred;
// - outstanding queries (queued plus in flight): at most max_pending;
// - the cache: at most max_entries addresses, least recently used evicted,
//   each name at most kMaxNameLength characters; failures are cached too
//   (negative_ttl_s) so an address without a PTR costs one query per TTL.
//
// PTR names belong to whoever controls the address's reverse zone, i.e. often
// the remote party itself: they are claims, not verified (no forward check),
// and anything that is not host-name syntax is refused rather than shown.
//
// Not thread-safe: one thread (the tracer's event loop) owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "procflow/flow_event.h"

struct ares_channeldata;  // c-ares' channel; kept out of this header

namespace procflow {

struct ReverseLookupConfig {
  std::string server;  // IPv4 or IPv6 address; "" = the system's (/etc/resolv.conf)
  uint16_t port = 53;  // with `server` only
  double max_queries_per_s = 20;
  size_t max_entries = 10000;
  // An answer lives for its own TTL, clamped to [min(kMinTtl, positive_ttl_s),
  // positive_ttl_s]; failures (NXDOMAIN, no PTR, timeouts, errors) live for
  // negative_ttl_s.
  uint32_t positive_ttl_s = 3600, negative_ttl_s = 300;
  size_t max_pending = 256;
  // Per query: c-ares' timeout for one try and the number of tries, so a dead
  // server ties up a pending slot for at most about timeout_ms * tries.
  uint32_t timeout_ms = 2000;
  uint32_t tries = 2;

  bool operator==(const ReverseLookupConfig&) const = default;
};

class ReverseLookup {
 public:
  static constexpr size_t kMaxNameLength = 253;  // longest DNS name in text form
  // A floor under answer TTLs: reverse zones with TTL 0 (dnsmasq's default
  // for its own data) would otherwise cost a query for every new flow.
  static constexpr uint32_t kMinTtl = 60;

  // nullptr and, if `error` is non-null, the reason when the configuration is
  // invalid (rate not positive, zero entries or pending, unparsable server)
  // or c-ares cannot set up a channel (e.g. no usable resolv.conf).
  static std::unique_ptr<ReverseLookup> create(const ReverseLookupConfig& config,
                                               std::string* error);
  ~ReverseLookup();
  ReverseLookup(const ReverseLookup&) = delete;
  ReverseLookup& operator=(const ReverseLookup&) = delete;

  // The PTR name of `address` (IPv4-mapped IPv6 as IPv4) as learned from an
  // earlier answer: lowercased, no trailing dot. "" when unknown, pending,
  // negative or expired. Never blocks and never queries. `now_s`: the same
  // monotonic seconds as process(). The view is valid until the next call
  // of a non-const member.
  std::string_view cached(const IpAddress& address, uint64_t now_s);

  // Asks for `address`'s name unless it is cached (positively or negatively,
  // and not expired) or already pending. Only queues: the query is sent by
  // the next process(). Dropped and counted when max_pending queries are
  // outstanding or the rate limit has no token left. Unset and unspecified
  // addresses (0.0.0.0, ::) are ignored.
  void request(const IpAddress& address, uint64_t now_s);

  // For an epoll loop: one descriptor, valid for the object's lifetime, that
  // is readable whenever one of c-ares' sockets is ready (it is an epoll
  // descriptor of its own, following c-ares' sockets as they open and close).
  int poll_fd() const { return epoll_fd_; }
  // For poll()-style callers: c-ares' sockets right now. They change as
  // queries start and end, so ask again before every wait.
  std::vector<int> fds() const;

  // Sends queued queries, reads whatever answers are ready, expires queries
  // that timed out, and caches the results stamped with `now_s`. Does not
  // wait. Call it on every loop iteration (not only when poll_fd() is
  // readable): timeouts and queued requests need it too.
  void process(uint64_t now_s);

  // Counters since creation.
  uint64_t queries_sent() const { return queries_sent_; }
  uint64_t answers() const { return answers_; }    // queries that produced a name
  uint64_t failures() const { return failures_; }  // queries that ended without one
  uint64_t dropped_rate_limited() const { return dropped_rate_limited_; }
  uint64_t dropped_queue_full() const { return dropped_queue_full_; }
  uint64_t evictions() const { return evictions_; }  // cache entries dropped for room

  size_t size() const { return index_.size(); }       // cached addresses, negative ones included
  size_t pending() const { return pending_.size(); }  // queued plus in flight

 private:
  struct AddressHash {
    uint64_t seed;
    size_t operator()(const IpAddress& a) const noexcept;
  };
  struct Entry {
    IpAddress address;
    std::string name;  // "" = negative
    uint64_t expires_s = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first
  struct Query;                  // one query's context, passed through c-ares

  explicit ReverseLookup(const ReverseLookupConfig& config);
  bool init(std::string* error);
  bool take_token(uint64_t now_s);
  void store(const IpAddress& address, std::string name, uint64_t ttl_s);
  void finish(const IpAddress& address, int status, const unsigned char* reply, int length);
  static void on_reply(void* arg, int status, int timeouts, unsigned char* reply, int length);
  static void on_socket_state(void* data, int fd, int readable, int writable);

  ReverseLookupConfig config_;
  ares_channeldata* channel_ = nullptr;
  int epoll_fd_ = -1;
  std::unordered_map<int, uint32_t> sockets_;  // c-ares socket -> epoll events wanted
  uint64_t now_s_ = 0;                         // the current process() call's time

  AddressHash hash_;
  Lru lru_;
  std::unordered_map<IpAddress, Lru::iterator, AddressHash> index_;
  std::deque<IpAddress> queue_;                         // requested, not yet sent
  std::unordered_set<IpAddress, AddressHash> pending_;  // queued or in flight

  double tokens_ = 0;
  uint64_t refilled_s_ = 0;

  uint64_t queries_sent_ = 0, answers_ = 0, failures_ = 0;
  uint64_t dropped_rate_limited_ = 0, dropped_queue_full_ = 0, evictions_ = 0;
};

}  // namespace procflow
