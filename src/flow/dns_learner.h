// Turns the DNS messages TC copies up into names for flows. Queries are
// remembered; an answer names addresses only when it answers one of them
// (DnsQueryTracker), link-local names (mDNS, LLMNR) only for responders and
// addresses on the link they arrived on, and each believed answer is filed
// under the network namespace of the socket that asked, found from that
// socket's flow. Everything refused is counted by reason.
//
// The query's TC record reaches the ring before the querying socket's own
// first-datagram record (TC runs inside sendmsg, the datagram hook after
// it), so an answer can, rarely, be read before the flow that says who asked:
// such an answer waits up to `wait_for_socket` and is retried on every tick.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>

#include "dns/dns_message.h"
#include "enrich/dns_cache.h"
#include "enrich/dns_query_tracker.h"
#include "enrich/link_prefixes.h"
#include "flow/endpoint_index.h"

namespace procflow {

struct DnsLearnerOptions {
  DnsQueryTrackerConfig tracker;
  // false when no socket can be found (UDP is not traced): believed answers
  // are filed under scope 0, "namespace unknown", which names flows everywhere.
  bool sockets_known = true;
  uint64_t own_netns = 0;  // where unsolicited mDNS on procflow's interfaces is filed
  uint64_t wait_for_socket_ns = 500'000'000;
};

class DnsLearner {
 public:
  // The network namespace of the local socket on local:local_port that
  // talks to server:server_port over proto (IPPROTO_UDP/TCP): none if no
  // such flow is open, ambiguous if sockets of several namespaces fit.
  using SocketScope =
      std::function<EndpointMatch(uint8_t proto, const IpAddress& server, uint16_t server_port,
                                  const IpAddress& local, uint16_t local_port)>;

  DnsLearner(DnsCache& cache, SocketScope scope, DnsLearnerOptions options = {},
             std::function<LinkPrefixes()> read_prefixes = &LinkPrefixes::read_system);

  void on_message(const DnsWireMessage& wire, std::span<const uint8_t> payload);
  // Retries answers waiting for their socket, expires old queries.
  void tick(uint64_t now_ns);
  // Retries answers waiting for their socket, now: called before a flow
  // starts, so an answer whose querying socket's flow was read after it (the
  // records raced on two CPUs) names the connection its answer led to.
  void retry_waiting();

  const DnsQueryTracker& tracker() const { return tracker_; }
  void set_answer_window(uint64_t ns) { tracker_.set_answer_window(ns); }
  uint64_t answers_learned() const { return learned_; }
  size_t answers_waiting() const { return waiting_.size(); }

 private:
  struct Waiting {
    DnsWireMessage wire;
    DnsMessage message;
    DnsAnswerCheck check;
  };
  // True when filed (or refused for good); false: its socket is not known yet.
  bool learn(const DnsWireMessage& wire, DnsMessage& message, const DnsAnswerCheck& check);
  // Keeps only the answers for addresses on the link; false if the responder is not on it.
  bool keep_on_link(const DnsWireMessage& wire, DnsMessage& message);

  DnsCache& cache_;
  SocketScope scope_;
  DnsLearnerOptions options_;
  std::function<LinkPrefixes()> read_prefixes_;
  DnsQueryTracker tracker_;
  LinkPrefixes prefixes_;
  uint64_t prefixes_read_ns_ = 0;
  bool prefixes_loaded_ = false;
  std::deque<Waiting> waiting_;
  uint64_t learned_ = 0;
};

}  // namespace procflow
