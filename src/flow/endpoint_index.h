// Which network namespace a local socket is in, found from the endpoints a
// packet names: the peer's address and port and the local port (flow/
// endpoint_key.h), narrowed by the local address when the socket has one.
//
// Ports are per namespace: two containers can each have a socket on port P
// talking to the same resolver. A DNS answer seen by TC must be filed under
// the namespace of the socket that asked, so a look-up that leaves more than
// one namespace is ambiguous and answers nothing: no name is better than a
// name in the wrong namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }
  // Sockets indexed, over all keys (size() counts the keys).
  size_t entries() const;

 private:
  struct Entry {
    IpAddress local;
    uint64_t netns = 0;
  };
  std::unordered_map<std::string, std::vector<Entry>> entries_;
};

}  // namespace procflow
