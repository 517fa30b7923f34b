#include "enrich/link_prefixes.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace procflow {
namespace {

std::optional<IpAddress> address_of(const sockaddr* sa) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET)
    return IpAddress::v4(
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr));
  if (sa->sa_family == AF_INET6)
    return IpAddress::v6(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr.s6_addr);
  return std::nullopt;
}

uint8_t prefix_length(const IpAddress& mask) {
  uint8_t bits = 0;
  for (size_t i = 0; i < mask.size(); i++) bits += __builtin_popcount(mask.bytes[i]);
  return bits;
}

}  // namespace

LinkPrefixes LinkPrefixes::read_system() {
  std::vector<LinkPrefix> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return LinkPrefixes{};
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    auto address = address_of(i->ifa_addr);
    auto mask = address_of(i->ifa_netmask);
    if (!address || !mask || !i->ifa_name) continue;
    const uint32_t index = if_nametoindex(i->ifa_name);
    if (index == 0) continue;
    out.push_back(LinkPrefix{index, *address, prefix_length(*mask)});
  }
  freeifaddrs(list);
  return LinkPrefixes(std::move(out));
}

bool LinkPrefixes::in_prefix(const IpAddress& address, const IpAddress& network, uint8_t length) {
  const IpAddress a = address.unmapped();
  const IpAddress n = network.unmapped();
  if (a.family != n.family || length > a.size() * 8) return false;
  for (size_t bit = 0; bit < length; bit++) {
    const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((a.bytes[bit / 8] & m) != (n.bytes[bit / 8] & m)) return false;
  }
  return true;
}

bool LinkPrefixes::is_link_local(const IpAddress& address) {
  const IpAddress a = address.unmapped();
  if (a.family == 4) return a.bytes[0] == 169 && a.bytes[1] == 254;
  return a.family == 6 && a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

bool LinkPrefixes::on_link(uint32_t ifindex, const IpAddress& address) const {
  if (is_link_local(address)) return true;
  for (const LinkPrefix& p : prefixes_)
    if (p.ifindex == ifindex && in_prefix(address, p.network, p.length)) return true;
  return false;
}

}  // namespace procflow
