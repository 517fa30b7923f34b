// The name of an address as a flow should show it, from the best source
// that knows it: a DNS answer seen while tracing (the name the client asked
// for), then /etc/hosts, then the host's own addresses, which name
// themselves. No look-up here ever touches the network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enrich/dns_cache.h"
#include "enrich/hosts_file.h"
#include "procflow/flow_event.h"

namespace procflow {

class NameResolver {
 public:
  NameResolver(DnsCache& dns, HostsTable hosts, std::vector<IpAddress> own_addresses,
               std::string own_fqdn);

  // "" when no source knows the address. scope: the flow's network namespace.
  std::string_view fqdn_of(uint64_t scope, const IpAddress& address, uint64_t now_s);

  // The addresses of this host's interfaces (getifaddrs).
  static std::vector<IpAddress> local_addresses();

 private:
  DnsCache& dns_;
  HostsTable hosts_;
  std::vector<IpAddress> own_addresses_;
  std::string own_fqdn_;
};

}  // namespace procflow
