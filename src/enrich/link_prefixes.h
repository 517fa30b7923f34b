// The prefixes of this host's interfaces, per interface: whether an address
// is "on the link" an interface is attached to. Link-local names (mDNS,
// LLMNR) are only believed for responders and addresses on the link they
// arrived on; an mDNS responder has no say about 8.8.8.8.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow {

struct LinkPrefix {
  uint32_t ifindex = 0;
  IpAddress network;  // the interface address, masked
  uint8_t length = 0;
};

class LinkPrefixes {
 public:
  LinkPrefixes() = default;
  explicit LinkPrefixes(std::vector<LinkPrefix> prefixes) : prefixes_(std::move(prefixes)) {}

  // Reads every interface's addresses and netmasks (getifaddrs).
  static LinkPrefixes read_system();

  // True for link-local addresses (169.254/16, fe80::/10) and for addresses
  // inside a prefix of interface `ifindex`.
  bool on_link(uint32_t ifindex, const IpAddress& address) const;

  static bool is_link_local(const IpAddress& address);
  static bool in_prefix(const IpAddress& address, const IpAddress& network, uint8_t length);

 private:
  std::vector<LinkPrefix> prefixes_;
};

}  // namespace procflow
