#include "flow/endpoint_index.h"

#include <algorithm>

#include "flow/endpoint_key.h"

namespace procflow {

SocketEndpoints socket_endpoints(const IpAddress& src, uint16_t sport, const IpAddress& dst,
                                 uint16_t dport, bool initiated) {
  if (initiated) return SocketEndpoints{dst, dport, sport, src};
  return SocketEndpoints{src, sport, dport, dst};
}

void EndpointIndex::add(const SocketEndpoints& e, uint64_t netns) {
  entries_[endpoint_key(e.peer, e.peer_port, e.local_port)].push_back(
      Entry{e.local.unmapped(), netns});
}

void EndpointIndex::remove(const SocketEndpoints& e, uint64_t netns) {
  auto it = entries_.find(endpoint_key(e.peer, e.peer_port, e.local_port));
  if (it == entries_.end()) return;
  auto& list = it->second;
  const IpAddress l = e.local.unmapped();
  auto found = std::find_if(list.begin(), list.end(),
                            [&](const Entry& e) { return e.netns == netns && e.local == l; });
  if (found != list.end()) list.erase(found);
  if (list.empty()) entries_.erase(it);
}

size_t EndpointIndex::entries() const {
  size_t n = 0;
  for (const auto& [key, list] : entries_) n += list.size();
  return n;
}

EndpointMatch EndpointIndex::find(const IpAddress& peer, uint16_t peer_port, uint16_t local_port,
                                  const IpAddress& local) const {
  EndpointMatch match;
  auto it = entries_.find(endpoint_key(peer, peer_port, local_port));
  if (it == entries_.end()) return match;
  const IpAddress l = local.unmapped();
  for (const Entry& e : it->second) {
    if (e.local.is_set() && l.is_set() && !(e.local == l)) continue;
    if (match.netns && *match.netns != e.netns) {
      match.netns.reset();
      match.ambiguous = true;
      return match;
    }
    match.netns = e.netns;
  }
  return match;
}

}  // namespace procflow
