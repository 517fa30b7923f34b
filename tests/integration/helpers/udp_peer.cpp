// Integration-test helper: both ends of a UDP exchange, whose datagram and
// byte counts are the ground truth procflow's UDP flows must match. UDP has no
// connection, so the account is per peer: one JSON line for each.
//
//   udp_peer server IP PORT N_DATAGRAMS REPLY_FACTOR
//     bind IP:PORT, print {"listening":true,"pid":..,"port":..}; then receive
//     N_DATAGRAMS datagrams (recvfrom, from any peers) and answer each with
//     one of len * REPLY_FACTOR bytes (sendto, REPLY_FACTOR >= 1); then print
//     one line per peer and close:
//     -> {"pid":..,"local_ip":..,"local_port":..,"peer":..,"peer_port":..,
//         "sent":..,"received":..,"datagrams_sent":..,"datagrams_received":..,
//         "first_us":..,"last_us":..}                                  exit 0
//   udp_peer client IP PORT [IP PORT ...] --sizes 10,20,30 [--connected]
//            [--gap-ms N] [--hold-ms N]
//     one socket, never bound (so an unconnected one is on the wildcard
//     address); for each peer in turn, each size in turn: send a datagram of
//     that size and wait for one reply (up to 5 s). Unconnected: sendto and
//     recvfrom (a reply from anyone else is an error); --connected (one peer
//     only): connect, then send and recv. --gap-ms waits between datagrams.
//     Prints one line per peer (same fields as the server's), then keeps the
//     socket open without traffic for --hold-ms (adding "holding":true), then
//     closes.                                                         exit 0
//   any failure: the lines so far, then {"pid":..,"error":"..."}        exit 1
//
// first_us/last_us are CLOCK_REALTIME microseconds: just before the first
// datagram with that peer was sent or received, just after the last one.
// A test compares them with the flow's start_time/end_time.
#include <sys/time.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "socket_util.h"

namespace {

constexpr size_t kMaxDatagram = 65535;

int usage() {
  std::fprintf(stderr,
               "usage: udp_peer server IP PORT N_DATAGRAMS REPLY_FACTOR\n"
               "       udp_peer client IP PORT [IP PORT ...] --sizes A,B,.. [--connected]"
               " [--gap-ms N] [--hold-ms N]\n");
  return 2;
}

int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// What one side exchanged with one peer.
struct PeerAccount {
  sockaddr_storage addr{};
  long sent = 0;
  long received = 0;
  long datagrams_sent = 0;
  long datagrams_received = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;

  void touch(int64_t at_start, int64_t at_end) {
    if (first_us == 0) first_us = at_start;
    last_us = at_end;
  }
};

bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family || pf_helper::port_of(a) != pf_helper::port_of(b)) return false;
  return pf_helper::address_of(a) == pf_helper::address_of(b);
}

int fail(const char* what) {
  pf_helper::emit_line(R"({"pid":%d,"error":"%s: %s"})", getpid(), what, std::strerror(errno));
  return 1;
}

void print_account(int fd, const PeerAccount& p, bool holding) {
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  pf_helper::emit_line(
      R"({"pid":%d,"local_ip":"%s","local_port":%d,"peer":"%s","peer_port":%d,"sent":%ld,)"
      R"("received":%ld,"datagrams_sent":%ld,"datagrams_received":%ld,"first_us":%lld,)"
      R"("last_us":%lld%s})",
      getpid(), pf_helper::address_of(local).c_str(), pf_helper::port_of(local),
      pf_helper::address_of(p.addr).c_str(), pf_helper::port_of(p.addr), p.sent, p.received,
      p.datagrams_sent, p.datagrams_received, static_cast<long long>(p.first_us),
      static_cast<long long>(p.last_us), holding ? R"(,"holding":true)" : "");
}

void set_receive_timeout(int fd, long seconds) {
  timeval timeout{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
}

int run_server(int argc, char** argv) {
  if (argc != 6) return usage();
  pf_helper::Endpoint local;
  if (!pf_helper::parse_endpoint(argv[2], argv[3], local)) return usage();
  long datagrams = pf_helper::parse_count(argv[4], "N_DATAGRAMS");
  long factor = pf_helper::parse_count(argv[5], "REPLY_FACTOR");
  if (factor < 1) return usage();

  int fd = socket(local.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) != 0) {
    return fail("bind");
  }
  pf_helper::emit_line(R"({"listening":true,"pid":%d,"port":%d})", getpid(),
                       pf_helper::local_port(fd));
  // A client that never comes must not keep the server (and the test) alive.
  set_receive_timeout(fd, 30);

  static char buffer[kMaxDatagram];
  std::vector<PeerAccount> peers;
  for (long i = 0; i < datagrams; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n =
        recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    int64_t received_at = now_us();
    if (n < 0 && errno == EINTR) {
      --i;
      continue;
    }
    if (n < 0) {
      for (const auto& p : peers) print_account(fd, p, false);
      return fail("recvfrom");
    }
    PeerAccount* peer = nullptr;
    for (auto& p : peers) {
      if (same_peer(p.addr, from)) peer = &p;
    }
    if (!peer) {
      peers.push_back(PeerAccount{});
      peer = &peers.back();
      peer->addr = from;
    }
    peer->received += n;
    peer->datagrams_received++;
    size_t reply = static_cast<size_t>(n) * static_cast<size_t>(factor);
    if (reply > sizeof(buffer)) reply = sizeof(buffer);
    ssize_t w = sendto(fd, buffer, reply, 0, reinterpret_cast<const sockaddr*>(&from), from_len);
    if (w < 0) {
      for (const auto& p : peers) print_account(fd, p, false);
      return fail("sendto");
    }
    peer->sent += w;
    peer->datagrams_sent++;
    peer->touch(received_at, now_us());
  }
  for (const auto& p : peers) print_account(fd, p, false);
  close(fd);
  return 0;
}

// "10,20,30" -> {10, 20, 30}; false on anything else.
bool parse_sizes(const char* text, std::vector<long>& out) {
  std::string list(text);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
    char* end = nullptr;
    long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < 0 || value > static_cast<long>(kMaxDatagram)) {
      return false;
    }
    out.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out.empty();
}

int run_client(int argc, char** argv) {
  std::vector<pf_helper::Endpoint> targets;
  std::vector<long> sizes;
  bool connected = false;
  long gap_ms = 0;
  long hold_ms = 0;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--sizes" && i + 1 < argc) {
      if (!parse_sizes(argv[++i], sizes)) return usage();
    } else if (arg == "--connected") {
      connected = true;
    } else if (arg == "--gap-ms" && i + 1 < argc) {
      gap_ms = pf_helper::parse_count(argv[++i], "--gap-ms");
    } else if (arg == "--hold-ms" && i + 1 < argc) {
      hold_ms = pf_helper::parse_count(argv[++i], "--hold-ms");
    } else if (i + 1 < argc && arg.rfind("--", 0) != 0) {
      pf_helper::Endpoint target;
      if (!pf_helper::parse_endpoint(argv[i], argv[i + 1], target)) return usage();
      targets.push_back(target);
      ++i;
    } else {
      return usage();
    }
  }
  if (targets.empty() || sizes.empty() || (connected && targets.size() != 1)) return usage();
  for (const auto& t : targets) {
    if (t.family != targets.front().family) return usage();
  }

  int fd = socket(targets.front().family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  if (connected && connect(fd, reinterpret_cast<const sockaddr*>(&targets.front().addr),
                           targets.front().len) != 0) {
    return fail("connect");
  }
  set_receive_timeout(fd, 5);

  static char buffer[kMaxDatagram];
  for (size_t i = 0; i < sizeof(buffer); ++i) buffer[i] = static_cast<char>('a' + i % 26);
  std::vector<PeerAccount> accounts;
  bool first_datagram = true;
  for (const auto& target : targets) {
    PeerAccount account;
    account.addr = target.addr;
    for (long size : sizes) {
      if (!first_datagram && gap_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
      }
      first_datagram = false;
      int64_t before = now_us();
      ssize_t w = connected ? send(fd, buffer, static_cast<size_t>(size), 0)
                            : sendto(fd, buffer, static_cast<size_t>(size), 0,
                                     reinterpret_cast<const sockaddr*>(&target.addr), target.len);
      if (w < 0) {
        for (const auto& a : accounts) print_account(fd, a, false);
        return fail("send");
      }
      account.sent += w;
      account.datagrams_sent++;
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      ssize_t n;
      do {
        n = connected ? recv(fd, buffer, sizeof(buffer), 0)
                      : recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from),
                                 &from_len);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        accounts.push_back(account);
        for (const auto& a : accounts) print_account(fd, a, false);
        return fail("waiting for the reply");
      }
      if (!connected && !same_peer(from, target.addr)) {
        errno = EPROTO;
        accounts.push_back(account);
        for (const auto& a : accounts) print_account(fd, a, false);
        return fail("a reply from another peer");
      }
      account.received += n;
      account.datagrams_received++;
      account.touch(before, now_us());
    }
    accounts.push_back(account);
  }
  for (const auto& a : accounts) print_account(fd, a, hold_ms > 0);
  if (hold_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (std::strcmp(argv[1], "server") == 0) return run_server(argc, argv);
  if (std::strcmp(argv[1], "client") == 0) return run_client(argc, argv);
  return usage();
}
