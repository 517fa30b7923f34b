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

ResolvedName NameResolver::resolve(uint64_t scope, const IpAddress& address, uint64_t now_s) {
  ResolvedName out;
  if (!address.is_set()) return out;
  const DnsName* learned = dns_.find(scope, address, now_s);
  if (auto from_hosts = hosts_.lookup(address); !from_hosts.empty()) {
    out.fqdn = from_hosts;
    out.source = NameSource::hosts;
  } else if (std::find(own_addresses_.begin(), own_addresses_.end(), address) !=
             own_addresses_.end()) {
    out.fqdn = own_fqdn_;
    out.source = NameSource::local;
  } else if (learned) {
    out.fqdn = learned->fqdn;
    out.canonical = learned->canonical;
    out.source = learned->source;
    return out;
  } else {
    if (reverse_) {
      // PTR names ignore network namespaces: only used when nothing better knows.
      if (auto name = reverse_->cached(address, now_s); !name.empty()) {
        out.fqdn = name;
        out.source = NameSource::ptr;
      } else {
        reverse_->request(address, now_s);  // queued; sent by the event loop
      }
    }
    return out;
  }
  // Local knowledge won; say so when the network claimed something else.
  if (learned && learned->fqdn != out.fqdn) {
    out.conflict.reserve(learned->fqdn.size() + 8);
    out.conflict.append(learned->fqdn).append(" (").append(to_string(learned->source)).append(")");
  }
  return out;
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
