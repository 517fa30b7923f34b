#include "enrich/name_resolver.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

namespace procflow {

NameResolver::NameResolver(DnsCache& dns, HostsTable hosts, std::vector<IpAddress> own_addresses,
                           std::string own_fqdn, ReverseLookup* reverse)
    : dns_(dns),
      hosts_(std::move(hosts)),
      own_addresses_(std::move(own_addresses)),
      own_fqdn_(std::move(own_fqdn)),
      reverse_(reverse) {}

std::string_view NameResolver::fqdn_of(uint64_t scope, const IpAddress& address, uint64_t now_s,
                                       std::string_view* canonical) {
  if (canonical) *canonical = {};
  if (!address.is_set()) return {};
  if (const DnsName* name = dns_.find(scope, address, now_s)) {
    if (canonical) *canonical = name->canonical;
    return name->fqdn;
  }
  if (auto from_hosts = hosts_.lookup(address); !from_hosts.empty()) return from_hosts;
  if (std::find(own_addresses_.begin(), own_addresses_.end(), address) != own_addresses_.end())
    return own_fqdn_;
  if (reverse_) {
    // PTR names ignore network namespaces: only used when nothing better knows.
    if (auto name = reverse_->cached(address, now_s); !name.empty()) return name;
    reverse_->request(address, now_s);  // queued; sent by the event loop
  }
  return {};
}

std::vector<IpAddress> NameResolver::local_addresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
      out.push_back(IpAddress::v4(reinterpret_cast<const uint8_t*>(&sin->sin_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      out.push_back(IpAddress::v6(sin6->sin6_addr.s6_addr));
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace procflow
