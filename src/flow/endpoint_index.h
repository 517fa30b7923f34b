// Which network namespace a local socket is in, found from the endpoints a
// packet names: the peer's address and port and the local port, narrowed by
// the local address when the socket has one. The local address is not part
// of the key on purpose: a socket bound to the wildcard address has none
// until it sends, and a packet seen by TC (a DNS answer) must still find it.
//
// Ports are per namespace: two containers can each have a socket on port P
// talking to the same resolver. A DNS answer seen by TC must be filed under
// the namespace of the socket that asked, so a look-up that leaves more than
// one namespace is ambiguous and answers nothing: no name is better than a
// name in the wrong namespace.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "flow/node_pool.h"
#include "procflow/flow_event.h"

namespace procflow {

// One local socket's conversation, as the index files it.
struct SocketEndpoints {
  IpAddress peer;
  uint16_t peer_port = 0;
  uint16_t local_port = 0;
  IpAddress local;  // unset: the wildcard address
};

// From a tuple oriented initiator -> responder and whether the local socket initiated.
SocketEndpoints socket_endpoints(const IpAddress& src, uint16_t sport, const IpAddress& dst,
                                 uint16_t dport, bool initiated);

struct EndpointMatch {
  std::optional<uint64_t> netns;  // the one namespace left, if exactly one
  bool ambiguous = false;         // several namespaces fit: none is chosen
};

class EndpointIndex {
 public:
  // An open flow's socket.
  void add(const SocketEndpoints& e, uint64_t netns);
  // The flow ended: removes one entry added with the same values.
  void remove(const SocketEndpoints& e, uint64_t netns);
  // The socket on local:local_port talking to peer:peer_port. Sockets on
  // another local address are ruled out; wildcard-bound ones fit any.
  EndpointMatch find(const IpAddress& peer, uint16_t peer_port, uint16_t local_port,
                     const IpAddress& local) const;
  void clear() {
    entries_.clear();
    nodes_.clear();
    keys_ = 0;
  }
  size_t size() const { return keys_; }               // distinct (peer, ports) keys
  size_t entries() const { return entries_.size(); }  // sockets, over all keys

 private:
  // The peer's address (IPv4 in the first 4 bytes, the rest zero), its port and the local
  // port. A plain value: no allocation per flow.
  struct Key {
    bool v4 = false;
    std::array<uint8_t, 16> peer{};
    uint16_t peer_port = 0;
    uint16_t local_port = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    uint64_t seed;
    size_t operator()(const Key& k) const noexcept;
  };
  struct Entry {
    IpAddress local;
    uint64_t netns = 0;
  };
  using Entries = std::unordered_multimap<Key, Entry, KeyHash>;

  static Key key_of(const IpAddress& peer, uint16_t peer_port, uint16_t local_port);

  // Usually one socket per key; several when namespaces reuse the same ports.
  Entries entries_{0, KeyHash{random_seed()}};
  NodePool<Entries> nodes_;
  size_t keys_ = 0;  // distinct keys in entries_, kept so size() stays O(1)

  static uint64_t random_seed();
};

}  // namespace procflow
