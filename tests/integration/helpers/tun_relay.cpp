// Integration-test helper: a point-to-point link made of two tun devices, one
// in this process's network namespace and one inside another, with this
// process as the wire between them. Tun devices carry bare IP packets (no
// link-layer header, IFF_NO_PI), the case where a parser that guesses the
// link layer from bytes 12-13 goes wrong; this kernel has no ipip/ip6tnl
// modules, tun is always there.
//
//   tun_relay HERE_IF NETNS THERE_IF [--offloads]
//     creates tun HERE_IF here and tun THERE_IF in /run/netns/NETNS, prints
//     {"ready":true,"pid":..} and copies every packet from each device to the
//     other until SIGTERM/SIGINT, then prints
//     {"pid":..,"here_to_there":N,"there_to_here":M} (packets) and exits 0.
//   --offloads: both devices carry a virtio-net header and take TSO and
//     checksum offload (IFF_VNET_HDR, TUNSETOFFLOAD), as a VM's tap does: the
//     kernel hands the relay TCP super-packets of up to 64 KiB, and a
//     super-packet written to the other device arrives there as one skb with
//     gso_size set and gso_segs 0 (an untrusted GSO packet).
// The devices are not persistent: they disappear when this process exits.
// Addresses and routes are the caller's (ip addr add ... dev HERE_IF).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "socket_util.h"

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

// A tun device named `name` in the current network namespace; -1 on error.
int open_tun(const char* name, bool offloads) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -1;
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0);
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0 ||
      (offloads && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) != 0)) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Moves every packet waiting on `from` to `to`; returns how many. With
// offloads each read and write is the virtio-net header and the packet.
long relay(int from, int to) {
  char packet[65536 + 64];
  long moved = 0;
  for (;;) {
    ssize_t n = read(from, packet, sizeof(packet));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return moved;
    // A write to a tun device is one packet; one that fails (the device is
    // down for a moment) is a lost packet, as on a real wire.
    if (write(to, packet, static_cast<size_t>(n)) == n) ++moved;
  }
}

int fail(const char* what) {
  pf_helper::emit_line(R"({"pid":%d,"error":"%s: %s"})", getpid(), what, std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool offloads = argc == 5 && std::strcmp(argv[4], "--offloads") == 0;
  if (argc != 4 && !offloads) {
    std::fprintf(stderr, "usage: tun_relay HERE_IF NETNS THERE_IF [--offloads]\n");
    return 2;
  }
  // A test run that dies without its destructors must not leave the link.
  pid_t spawner = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != spawner) return 1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  int here_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  std::string netns_path = std::string("/run/netns/") + argv[2];
  int there_ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (here_ns < 0 || there_ns < 0) return fail("open netns");
  int here = open_tun(argv[1], offloads);
  if (here < 0) return fail("tun here");
  if (setns(there_ns, CLONE_NEWNET) != 0) return fail("setns");
  int there = open_tun(argv[3], offloads);
  if (there < 0) return fail("tun there");
  if (setns(here_ns, CLONE_NEWNET) != 0) return fail("setns back");
  close(here_ns);
  close(there_ns);
  pf_helper::emit_line(R"({"ready":true,"pid":%d})", getpid());

  long here_to_there = 0;
  long there_to_here = 0;
  pollfd fds[2] = {{here, POLLIN, 0}, {there, POLLIN, 0}};
  while (!g_stop) {
    int ready = poll(fds, 2, 200);
    if (ready < 0 && errno != EINTR) return fail("poll");
    if (ready <= 0) continue;
    if (fds[0].revents & POLLIN) here_to_there += relay(here, there);
    if (fds[1].revents & POLLIN) there_to_here += relay(there, here);
    // A device gone (its namespace was deleted) ends the link.
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) break;
  }
  pf_helper::emit_line(R"({"pid":%d,"here_to_there":%ld,"there_to_here":%ld})", getpid(),
                       here_to_there, there_to_here);
  return 0;
}
