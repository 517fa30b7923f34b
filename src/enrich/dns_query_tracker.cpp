#include "enrich/dns_query_tracker.h"

#include <algorithm>

namespace procflow {
namespace {

constexpr uint16_t kMdnsPort = 5353;
constexpr uint16_t kLlmnrPort = 5355;

void append_endpoint(std::string& key, const IpAddress& a, uint16_t port) {
  const IpAddress u = a.unmapped();
  key.push_back(static_cast<char>(u.family));
  key.append(reinterpret_cast<const char*>(u.bytes.data()), u.size());
  key.append(reinterpret_cast<const char*>(&port), sizeof port);
}

NameSource source_of_port(uint16_t port) {
  if (port == kMdnsPort) return NameSource::mdns;
  if (port == kLlmnrPort) return NameSource::llmnr;
  return NameSource::dns;
}

}  // namespace

std::string_view to_string(DnsVerdict verdict) {
  switch (verdict) {
    case DnsVerdict::accepted:
      return "accepted";
    case DnsVerdict::duplicate:
      return "duplicate";
    case DnsVerdict::conflicting:
      return "another answer to an answered query";
    case DnsVerdict::unsolicited:
      return "unsolicited";
    case DnsVerdict::wrong_id:
      return "wrong transaction id";
    case DnsVerdict::unasked_name:
      return "question not asked";
    case DnsVerdict::late:
      return "late";
    case DnsVerdict::off_link:
      return "link-local name from off the link";
    case DnsVerdict::no_socket:
      return "no traced socket asked";
    case DnsVerdict::ambiguous_socket:
      return "sockets of several namespaces could have asked";
    case DnsVerdict::malformed:
      return "malformed";
  }
  return "";
}

DnsQueryTracker::DnsQueryTracker(DnsQueryTrackerConfig config) : config_(config) {}

namespace {

// a (IPv4-mapped or not) is the group whose IPv4 and IPv6 addresses these are.
bool is_group(const IpAddress& a, const std::array<uint8_t, 4>& v4,
              const std::array<uint8_t, 16>& v6) {
  const IpAddress u = a.unmapped();
  if (u.family == 4) return std::equal(v4.begin(), v4.end(), u.bytes.begin());
  return u.family == 6 && std::equal(v6.begin(), v6.end(), u.bytes.begin());
}

}  // namespace

bool DnsQueryTracker::is_mdns_group(const IpAddress& a) {
  return is_group(a, {224, 0, 0, 251}, {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb});
}

bool DnsQueryTracker::is_llmnr_group(const IpAddress& a) {
  return is_group(a, {224, 0, 0, 252},
                  {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x03});
}

DnsQueryTracker::Key DnsQueryTracker::key_of(const IpAddress& querier, uint16_t qport,
                                             const IpAddress& server, uint16_t sport,
                                             uint8_t proto) {
  Key key;
  key.reserve(40);
  key.push_back(static_cast<char>(proto));
  append_endpoint(key, querier, qport);
  append_endpoint(key, server, sport);
  return key;
}

DnsQueryTracker::Key DnsQueryTracker::multicast_key_of(const IpAddress& querier, uint16_t qport,
                                                       uint8_t proto) {
  // Any responder may answer a group query: the server side is left out.
  Key key;
  key.push_back(static_cast<char>(proto | 0x80));
  append_endpoint(key, querier, qport);
  return key;
}

void DnsQueryTracker::on_query(const DnsWireMessage& w, const DnsMessage& q) {
  queries_++;
  const bool multicast = is_mdns_group(w.dst) || is_llmnr_group(w.dst);
  Key key = multicast ? multicast_key_of(w.src, w.sport, w.proto)
                      : key_of(w.src, w.sport, w.dst, w.dport, w.proto);
  auto& queries = by_endpoints_[key];
  for (Query& existing : queries) {
    if (existing.id == q.id && existing.qname == q.question && existing.qtype == q.qtype) {
      // A retry (same id) or the same packet seen on a second interface:
      // the window runs from the latest copy.
      existing.sent_ns = std::max(existing.sent_ns, w.time_ns);
      existing.answered = false;
      order_.emplace_back(std::move(key), w.time_ns);
      return;
    }
  }
  while (outstanding_ >= config_.max_outstanding && !order_.empty()) {
    // Full: the oldest goes first. A flood of queries can push out real
    // ones, which then name nothing (counted), never a wrong name.
    const auto [old_key, old_ns] = order_.front();
    order_.pop_front();
    auto it = by_endpoints_.find(old_key);
    if (it == by_endpoints_.end()) continue;
    auto& list = it->second;
    auto oldest = std::min_element(list.begin(), list.end(), [](const Query& a, const Query& b) {
      return a.sent_ns < b.sent_ns;
    });
    if (oldest != list.end() && oldest->sent_ns <= old_ns) {
      if (!oldest->answered) evicted_++;
      list.erase(oldest);
      outstanding_--;
    }
    if (list.empty()) by_endpoints_.erase(it);
  }
  auto& fresh = by_endpoints_[key];
  fresh.push_back(Query{q.id, q.qtype, q.question, w.dst, w.dport, w.time_ns, false, {}});
  outstanding_++;
  order_.emplace_back(std::move(key), w.time_ns);
}

DnsAnswerCheck DnsQueryTracker::finish(DnsAnswerCheck check) {
  if (check.verdict != DnsVerdict::accepted) counts_[static_cast<size_t>(check.verdict)]++;
  return check;
}

DnsAnswerCheck DnsQueryTracker::judge(std::vector<Query>& queries, const DnsWireMessage& w,
                                      const DnsMessage& a, bool multicast) {
  DnsAnswerCheck check;
  check.querier = w.dst;
  check.querier_port = w.dport;
  check.multicast_query = multicast;
  bool id_seen = false;
  for (Query& q : queries) {
    if (q.id != a.id) continue;
    id_seen = true;
    if (q.qname != a.question || (a.qtype != 0 && q.qtype != a.qtype)) continue;
    if (w.time_ns > q.sent_ns + config_.answer_window_ns) {
      check.verdict = DnsVerdict::late;
      return check;
    }
    std::string responder;
    const uint64_t digest = digest_of(a);
    // Several responders may answer one group query, each once; one server
    // answers a unicast query once. A copy of that answer (seen on a second
    // interface) is harmless; a different one is somebody's forgery.
    if (multicast) responder = key_of(w.src, w.sport, w.src, w.sport, w.proto);
    if (q.answered && (!multicast || q.responder == responder)) {
      check.verdict = digest == q.answer_digest ? DnsVerdict::duplicate : DnsVerdict::conflicting;
      return check;
    }
    q.answered = true;
    q.responder = std::move(responder);
    q.answer_digest = digest;
    check.server = q.server;
    check.server_port = q.server_port;
    check.verdict = DnsVerdict::accepted;
    check.source = source_of_port(w.sport);
    return check;
  }
  check.verdict = id_seen ? DnsVerdict::unasked_name : DnsVerdict::wrong_id;
  return check;
}

DnsAnswerCheck DnsQueryTracker::check_answer(const DnsWireMessage& w, const DnsMessage& a) {
  // Unsolicited mDNS: to the group, from and to port 5353 (RFC 6762 5.2 and
  // 8.3). The caller keeps only what is on the link it arrived on.
  if (w.proto == ip_proto_udp && w.sport == kMdnsPort && w.dport == kMdnsPort &&
      is_mdns_group(w.dst)) {
    DnsAnswerCheck check;
    check.verdict = DnsVerdict::accepted;
    check.source = NameSource::mdns;
    check.unsolicited_mdns = true;
    return check;
  }
  auto unicast = by_endpoints_.find(key_of(w.dst, w.dport, w.src, w.sport, w.proto));
  if (unicast != by_endpoints_.end()) return finish(judge(unicast->second, w, a, false));
  if (w.sport == kMdnsPort || w.sport == kLlmnrPort) {
    auto group = by_endpoints_.find(multicast_key_of(w.dst, w.dport, w.proto));
    if (group != by_endpoints_.end()) return finish(judge(group->second, w, a, true));
  }
  DnsAnswerCheck check;
  check.verdict = DnsVerdict::unsolicited;
  return finish(check);
}

uint64_t DnsQueryTracker::digest_of(const DnsMessage& a) {
  // FNV-1a over the records that name addresses; only equality matters.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* data, size_t n) {
    for (size_t i = 0; i < n; i++) {
      h ^= static_cast<const uint8_t*>(data)[i];
      h *= 1099511628211ull;
    }
  };
  mix(&a.rcode, sizeof a.rcode);
  for (const DnsRecord& r : a.answers) {
    mix(&r.type, sizeof r.type);
    mix(r.name.data(), r.name.size());
    mix(r.address.bytes.data(), r.address.size());
    mix(r.target.data(), r.target.size());
  }
  return h;
}

uint64_t DnsQueryTracker::rejected() const {
  uint64_t total = 0;
  for (size_t i = 0; i < dns_verdict_count; i++) {
    const auto v = static_cast<DnsVerdict>(i);
    if (v != DnsVerdict::accepted && v != DnsVerdict::duplicate) total += counts_[i];
  }
  return total;
}

void DnsQueryTracker::expire(uint64_t now_ns) {
  const uint64_t keep_ns = 2 * config_.answer_window_ns;
  while (!order_.empty() && order_.front().second + keep_ns < now_ns) {
    const Key key = std::move(order_.front().first);
    order_.pop_front();
    auto it = by_endpoints_.find(key);
    if (it == by_endpoints_.end()) continue;
    auto& list = it->second;
    const size_t before = list.size();
    std::erase_if(list, [&](const Query& q) { return q.sent_ns + keep_ns < now_ns; });
    outstanding_ -= before - list.size();
    if (list.empty()) by_endpoints_.erase(it);
  }
}

}  // namespace procflow
