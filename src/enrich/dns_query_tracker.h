// Which DNS answers seen on the wire may name flows.
//
// Anyone can put a "DNS response" on the wire: any local user can send a
// datagram from port 5353, anyone with CAP_NET_RAW (in any namespace) from
// port 53. A name taken from such a packet would rename flows at will. So an
// answer is believed only when it answers a query procflow saw go out:
//
//   unicast DNS (and any query sent to one server): the answer comes from the
//   server's address and port to the querier's address and port, over the
//   same transport, with the query's transaction id and question (name and
//   type), within `answer_window` of the query. Each query is answered once;
//   a second copy of the same answer (a packet seen on two traced interfaces)
//   is a duplicate, not a new fact.
//   a query to an mDNS or LLMNR multicast group: the answer comes from any
//   responder's port 5353/5355 to the querier's port, with the id and
//   question, within the window.
//   unsolicited mDNS (RFC 6762 announcements and replies to the group, source
//   and destination port 5353, destination the mDNS group): believed for
//   addresses on the link it arrived on only (checked by the caller against
//   the interface's prefixes), from a responder on that link.
//
// Every other response is rejected and counted by reason. The tracker does
// not decide the namespace an accepted answer is for: that is the querying
// socket's (the caller finds it from the endpoints the verdict returns).
// Not thread-safe: the event loop owns it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/dns_message.h"
#include "procflow/flow_event.h"

namespace procflow {

// One DNS message as TC saw it on the wire.
struct DnsWireMessage {
  IpAddress src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = ip_proto_udp;
  uint32_t ifindex = 0;
  bool egress = false;
  uint64_t time_ns = 0;  // CLOCK_BOOTTIME
};

enum class DnsVerdict : uint8_t {
  accepted,
  duplicate,         // the same answer again (seen twice on the way): ignored, not an attack
  conflicting,       // another answer to a query already answered: the race a spoofer loses
  unsolicited,       // no query between these endpoints
  wrong_id,          // queries between these endpoints, none with this transaction id
  unasked_name,      // the id matched, the question did not (name or type)
  late,              // it answers a query older than the answer window
  off_link,          // mDNS/LLMNR from a responder not on the link it arrived on
  no_socket,         // it answers a query, but no traced socket sent that query
  ambiguous_socket,  // sockets of several namespaces could have asked: filed nowhere
  malformed,         // not parseable as DNS
};
inline constexpr size_t dns_verdict_count = 11;
std::string_view to_string(DnsVerdict verdict);

struct DnsAnswerCheck {
  DnsVerdict verdict = DnsVerdict::unsolicited;
  NameSource source = NameSource::none;  // dns, mdns or llmnr when accepted
  // The local socket the answer is for (the querier) and where its query
  // went (the server, or the group for a multicast query): together they
  // find the querying socket's flow, and with it its network namespace.
  IpAddress querier, server;
  uint16_t querier_port = 0, server_port = 0;
  bool multicast_query = false;   // answers a query sent to a group
  bool unsolicited_mdns = false;  // an announcement to the group: no querier
};

struct DnsQueryTrackerConfig {
  uint64_t answer_window_ns = 10'000'000'000ull;  // resolvers give up after 5 s x 2 tries
  size_t max_outstanding = 16384;                 // queries remembered at once
};

class DnsQueryTracker {
 public:
  explicit DnsQueryTracker(DnsQueryTrackerConfig config = {});

  // A query left (or arrived at) a traced interface.
  void on_query(const DnsWireMessage& wire, const DnsMessage& query);
  // A response: whether it answers a query seen, and whom. Consumes the query.
  DnsAnswerCheck check_answer(const DnsWireMessage& wire, const DnsMessage& answer);
  // Forgets queries past twice the window (a late answer is still told
  // apart from an unsolicited one until then).
  void expire(uint64_t now_ns);

  // Rejections and duplicates, indexed by DnsVerdict.
  uint64_t count(DnsVerdict verdict) const { return counts_[static_cast<size_t>(verdict)]; }
  // A rejection decided outside: malformed, off_link, no_socket.
  void reject(DnsVerdict verdict) { counts_[static_cast<size_t>(verdict)]++; }
  uint64_t rejected() const;
  uint64_t queries_seen() const { return queries_; }
  uint64_t queries_evicted() const { return evicted_; }  // forgotten for room, unanswered
  size_t outstanding() const { return outstanding_; }

  // A reload's new window: queries already seen are judged by it too.
  void set_answer_window(uint64_t ns) { config_.answer_window_ns = ns; }

  static bool is_mdns_group(const IpAddress& a);
  static bool is_llmnr_group(const IpAddress& a);

 private:
  struct Query {
    uint16_t id = 0;
    uint16_t qtype = 0;
    std::string qname;
    IpAddress server;  // where it went: a server, or a group
    uint16_t server_port = 0;
    uint64_t sent_ns = 0;
    bool answered = false;
    std::string responder;       // for a multicast query: who answered (duplicates)
    uint64_t answer_digest = 0;  // what the accepted answer said
  };
  // Endpoints as a byte string: querier addr+port, server addr+port (the
  // group for multicast queries), transport.
  using Key = std::string;
  static Key key_of(const IpAddress& querier, uint16_t qport, const IpAddress& server,
                    uint16_t sport, uint8_t proto);
  static Key multicast_key_of(const IpAddress& querier, uint16_t qport, uint8_t proto);
  // A digest of an answer's records, to tell a copy from a different answer.
  static uint64_t digest_of(const DnsMessage& answer);
  DnsAnswerCheck judge(std::vector<Query>& queries, const DnsWireMessage& wire,
                       const DnsMessage& answer, bool multicast);
  DnsAnswerCheck finish(DnsAnswerCheck check);

  DnsQueryTrackerConfig config_;
  std::unordered_map<Key, std::vector<Query>> by_endpoints_;
  std::deque<std::pair<Key, uint64_t>> order_;  // (key, sent_ns) oldest first, for expiry
  size_t outstanding_ = 0;
  uint64_t queries_ = 0, evicted_ = 0;
  std::array<uint64_t, dns_verdict_count> counts_{};
};

}  // namespace procflow
