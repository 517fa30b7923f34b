#include "flow/endpoint_index.h"

#include <cstring>
#include <iterator>
#include <random>

#include "util/hash_mix.h"

namespace procflow {

SocketEndpoints socket_endpoints(const IpAddress& src, uint16_t sport, const IpAddress& dst,
                                 uint16_t dport, bool initiated) {
  if (initiated) return SocketEndpoints{dst, dport, sport, src};
  return SocketEndpoints{src, sport, dport, dst};
}

uint64_t EndpointIndex::random_seed() {
  std::random_device random;
  return uint64_t{random()} << 32 | random();
}

// Seeded per index: peers and ports come from traffic anyone can send, so bucket placement must
// not be predictable (hash flooding).
size_t EndpointIndex::KeyHash::operator()(const Key& k) const noexcept {
  uint64_t lo, hi;
  std::memcpy(&lo, k.peer.data(), 8);
  std::memcpy(&hi, k.peer.data() + 8, 8);
  uint64_t h = hash_mix(seed ^ lo);
  h = hash_mix(h ^ hi);
  return static_cast<size_t>(
      hash_mix(h ^ (uint64_t{k.peer_port} << 32 | uint64_t{k.local_port} << 8 | k.v4)));
}

// An IPv4 peer and an IPv6 one never share a key. Anything not IPv4 is its 16 bytes: an unset
// address and :: are one key, as they were when the key was the address's bytes as a string.
EndpointIndex::Key EndpointIndex::key_of(const IpAddress& peer, uint16_t peer_port,
                                         uint16_t local_port) {
  const IpAddress p = peer.unmapped();
  Key k;
  k.v4 = p.family == 4;
  std::memcpy(k.peer.data(), p.bytes.data(), p.size());
  k.peer_port = peer_port;
  k.local_port = local_port;
  return k;
}

void EndpointIndex::add(const SocketEndpoints& e, uint64_t netns) {
  const Key key = key_of(e.peer, e.peer_port, e.local_port);
  const Entry entry{e.local.unmapped(), netns};
  if (entries_.find(key) == entries_.end()) ++keys_;
  if (auto node = nodes_.take()) {
    node.key() = key;
    node.mapped() = entry;
    entries_.insert(std::move(node));
  } else {
    entries_.emplace(key, entry);
  }
}

void EndpointIndex::remove(const SocketEndpoints& e, uint64_t netns) {
  auto [first, last] = entries_.equal_range(key_of(e.peer, e.peer_port, e.local_port));
  const IpAddress l = e.local.unmapped();
  for (auto it = first; it != last; ++it) {
    if (it->second.netns == netns && it->second.local == l) {
      if (std::next(first) == last) --keys_;  // it was the key's only entry
      nodes_.put(entries_.extract(it));
      return;
    }
  }
}

EndpointMatch EndpointIndex::find(const IpAddress& peer, uint16_t peer_port, uint16_t local_port,
                                  const IpAddress& local) const {
  EndpointMatch match;
  auto [first, last] = entries_.equal_range(key_of(peer, peer_port, local_port));
  const IpAddress l = local.unmapped();
  for (auto it = first; it != last; ++it) {
    const Entry& e = it->second;
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
