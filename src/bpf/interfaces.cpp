#include "bpf/interfaces.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>  // before the linux/ headers, which would redefine its structs
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace procflow {

std::vector<InterfaceInfo> list_interfaces() {
  std::vector<InterfaceInfo> out;
  struct if_nameindex* names = if_nameindex();
  if (!names) return out;
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  for (auto* n = names; n->if_index != 0; n++) {
    InterfaceInfo info{static_cast<int>(n->if_index), n->if_name, false};
    ifreq req{};
    std::strncpy(req.ifr_name, n->if_name, IFNAMSIZ - 1);
    if (sock.valid() && ioctl(sock.get(), SIOCGIFFLAGS, &req) == 0)
      info.up = (req.ifr_flags & IFF_UP) != 0;
    out.push_back(std::move(info));
  }
  if_freenameindex(names);
  return out;
}

LinkWatcher::LinkWatcher(std::string* error) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!fd.valid()) {
    *error = std::string("netlink socket: ") + strerror(errno);
    return;
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("netlink bind: ") + strerror(errno);
    return;
  }
  fd_ = std::move(fd);
}

std::vector<InterfaceInfo> LinkWatcher::drain() {
  std::vector<InterfaceInfo> out;
  alignas(nlmsghdr) char buf[16384];
  while (true) {
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n <= 0) break;  // EAGAIN: drained (ENOBUFS: overrun; the caller rescans)
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<size_t>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      InterfaceInfo info;
      info.index = ifi->ifi_index;
      info.up = (ifi->ifi_flags & IFF_UP) != 0;
      int attr_len = static_cast<int>(IFLA_PAYLOAD(h));
      for (auto* a = IFLA_RTA(ifi); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
        if (a->rta_type == IFLA_IFNAME)
          info.name.assign(static_cast<const char*>(RTA_DATA(a)),
                           strnlen(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a)));
      }
      out.push_back(std::move(info));
    }
  }
  return out;
}

}  // namespace procflow
