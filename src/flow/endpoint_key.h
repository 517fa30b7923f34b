// A local socket's conversation as a packet names it: the peer's address and
// port and the local port. The local address is left out on purpose: a
// socket bound to the wildcard address has none until it sends, and a packet
// seen by TC (a DNS answer) must still find it.
#pragma once

#include <cstdint>
#include <string>

#include "procflow/flow_event.h"

namespace procflow {

inline std::string endpoint_key(const IpAddress& peer, uint16_t peer_port, uint16_t local_port) {
  const IpAddress p = peer.unmapped();
  std::string key(reinterpret_cast<const char*>(p.bytes.data()), p.size());
  key.append(reinterpret_cast<const char*>(&peer_port), sizeof peer_port);
  key.append(reinterpret_cast<const char*>(&local_port), sizeof local_port);
  return key;
}

}  // namespace procflow
