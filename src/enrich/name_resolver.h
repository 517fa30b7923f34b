// The name of an address as a flow should show it, and where it came from.
// Strongest evidence first:
//   1. /etc/hosts (the administrator said so),
//   2. the host's own interface addresses, which name themselves,
//   3. a DNS answer that answered a query of the flow's own network namespace
//      (DnsQueryTracker decides which answers are believed), then a
//      link-local mDNS/LLMNR name,
//   4. (opt-in) a PTR answer already in the reverse cache.
// When a weaker source names the address differently from the one used, the
// weaker claim is returned too, so the event can show it: a DNS answer never
// overrides local knowledge silently. No look-up here waits on the network:
// a missing PTR is only requested.
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

struct ResolvedName {
  std::string_view fqdn;       // "" when no source knows the address
  std::string_view canonical;  // end of the CNAME chain, when a DNS alias named it
  NameSource source = NameSource::none;
  // "other.example (dns)" when a weaker source disagrees with fqdn; else "".
  std::string conflict;
};

class NameResolver {
 public:
  // reverse: nullptr unless PTR look-ups were asked for.
  NameResolver(DnsCache& dns, HostsTable hosts, std::vector<IpAddress> own_addresses,
               std::string own_fqdn, ReverseLookup* reverse = nullptr);

  // scope: the flow's network namespace (DNS answers are kept per namespace;
  // scope 0 holds those whose namespace could not be known).
  ResolvedName resolve(uint64_t scope, const IpAddress& address, uint64_t now_s);

  // PTR look-ups turned on (a lookup), off (nullptr) or replaced by a reload.
  void set_reverse(ReverseLookup* reverse) { reverse_ = reverse; }

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
