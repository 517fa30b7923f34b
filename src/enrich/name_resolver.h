// The name of an address as a flow should show it, from the best source
// that knows it: a DNS answer seen while tracing (the name the client asked
// for), then /etc/hosts, then the host's own addresses, which name
// themselves, then (opt-in) a PTR answer already in the reverse cache. No
// look-up here ever waits on the network: a missing PTR is only requested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enrich/dns_cache.h"
#include "enrich/hosts_file.h"
#include "enrich/reverse_lookup.h"
#include "procflow/flow_event.h"

namespace procflow {

class NameResolver {
 public:
  // reverse: nullptr unless PTR look-ups were asked for.
  NameResolver(DnsCache& dns, HostsTable hosts, std::vector<IpAddress> own_addresses,
               std::string own_fqdn, ReverseLookup* reverse = nullptr);

  // "" when no source knows the address. scope: the flow's network namespace.
  // canonical (optional): the end of the CNAME chain when a DNS answer named
  // the address through an alias, else "".
  std::string_view fqdn_of(uint64_t scope, const IpAddress& address, uint64_t now_s,
                           std::string_view* canonical = nullptr);

  // The addresses of this host's interfaces (getifaddrs).
  static std::vector<IpAddress> local_addresses();

 private:
  DnsCache& dns_;
  HostsTable hosts_;
  std::vector<IpAddress> own_addresses_;
  std::string own_fqdn_;
  ReverseLookup* reverse_;
};

}  // namespace procflow
