#include "flow/dns_learner.h"

#include <algorithm>

namespace procflow {
namespace {

constexpr uint16_t kMdnsPort = 5353;
constexpr size_t kMaxWaiting = 1024;
constexpr uint64_t kPrefixRefreshNs = 1'000'000'000ull;

}  // namespace

DnsLearner::DnsLearner(DnsCache& cache, SocketScope scope, DnsLearnerOptions options,
                       std::function<LinkPrefixes()> read_prefixes)
    : cache_(cache),
      scope_(std::move(scope)),
      options_(options),
      read_prefixes_(std::move(read_prefixes)),
      tracker_(options.tracker) {}

void DnsLearner::on_message(const DnsWireMessage& wire, std::span<const uint8_t> payload) {
  DnsParseLimits limits;
  // mDNS responses may carry no question (RFC 6762 6); unicast DNS always does.
  limits.require_question = wire.sport != kMdnsPort;
  auto message = wire.proto == ip_proto_tcp ? parse_dns_over_tcp(payload, nullptr, nullptr, limits)
                                            : parse_dns_message(payload, nullptr, limits);
  if (!message || message->opcode != 0) {
    tracker_.reject(DnsVerdict::malformed);
    return;
  }
  if (!message->is_response) {
    tracker_.on_query(wire, *message);
    return;
  }
  const DnsAnswerCheck check = tracker_.check_answer(wire, *message);
  if (check.verdict != DnsVerdict::accepted) return;  // counted by the tracker
  if (learn(wire, *message, check)) return;
  if (waiting_.size() >= kMaxWaiting) {
    tracker_.reject(DnsVerdict::no_socket);
    waiting_.pop_front();
  }
  waiting_.push_back(Waiting{wire, std::move(*message), check});
}

bool DnsLearner::keep_on_link(const DnsWireMessage& wire, DnsMessage& message) {
  if (!prefixes_loaded_ || wire.time_ns > prefixes_read_ns_ + kPrefixRefreshNs) {
    prefixes_ = read_prefixes_();
    prefixes_read_ns_ = wire.time_ns;
    prefixes_loaded_ = true;
  }
  if (!prefixes_.on_link(wire.ifindex, wire.src)) return false;
  std::erase_if(message.answers, [&](const DnsRecord& r) {
    return (r.type == dns_type::a || r.type == dns_type::aaaa) &&
           !prefixes_.on_link(wire.ifindex, r.address);
  });
  return true;
}

bool DnsLearner::learn(const DnsWireMessage& wire, DnsMessage& message,
                       const DnsAnswerCheck& check) {
  if (check.source == NameSource::mdns || check.source == NameSource::llmnr) {
    if (!keep_on_link(wire, message)) {
      tracker_.reject(DnsVerdict::off_link);
      return true;
    }
  }
  uint64_t scope = 0;
  if (check.unsolicited_mdns) {
    scope = options_.own_netns;  // the link is one of procflow's own interfaces
  } else if (options_.sockets_known) {
    const EndpointMatch found =
        scope_(wire.proto, check.server, check.server_port, check.querier, check.querier_port);
    if (found.ambiguous) {
      // Sockets of several namespaces asked the same server from this port:
      // no name rather than a name filed in the wrong namespace.
      tracker_.reject(DnsVerdict::ambiguous_socket);
      return true;
    }
    if (!found.netns) return false;
    scope = *found.netns;
  }
  cache_.add(scope, message, wire.time_ns / 1'000'000'000ull, check.source);
  learned_++;
  return true;
}

void DnsLearner::retry_waiting() {
  std::erase_if(waiting_, [this](Waiting& w) { return learn(w.wire, w.message, w.check); });
}

void DnsLearner::tick(uint64_t now_ns) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (learn(it->wire, it->message, it->check)) {
      it = waiting_.erase(it);
    } else if (now_ns > it->wire.time_ns + options_.wait_for_socket_ns) {
      tracker_.reject(DnsVerdict::no_socket);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  tracker_.expire(now_ns);
}

}  // namespace procflow
