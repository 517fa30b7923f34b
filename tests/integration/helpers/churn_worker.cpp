// Integration-test helper for the soak test: one short-lived worker of the
// churn, started by churn_driver (or by the test). One source, three images
// (churn_a, churn_b, churn_c): the same pid runs one image, then, reused or
// after an exec, another, and procflow must name the image that really used
// each socket.
//
//   IMAGE SEQ STEP tcp IP PORT SEND_BYTES
//     connect, send SEND_BYTES, half-close, read to EOF, close (an orderly close)
//   IMAGE SEQ STEP reset IP PORT SEND_BYTES
//     connect, send SEND_BYTES, close with SO_LINGER 0 (an RST)
//   IMAGE SEQ STEP refused IP PORT
//     connect to a port nobody listens on (answered with an RST)
//   IMAGE SEQ STEP udp IP PORT LOCAL_PORT DATAGRAMS SIZE connected|unconnected
//     bind the wildcard address on LOCAL_PORT, then DATAGRAMS times: send SIZE
//     bytes and wait for the echo (up to 5 s); close
//   ... --then NEXT_IMAGE SEQ STEP JOB ARGS...
//     after the job: exec NEXT_IMAGE (same pid) with the rest of the command
//     line. SEQ names the process's run (the driver's spawn number), STEP the
//     job within it (0, then 1 after an exec, ...)
//
// Each job prints one line, its own account of what it did, with the pid,
// the image (readlink /proc/self/exe: the kernel's answer, not procflow's)
// and the time of the connect (CLOCK_REALTIME us), which orders the
// connections of a reused 4-tuple:
//   {"seq":..,"step":..,"pid":..,"image":"/abs/churn_a","job":"tcp","local_ip":"10.213.5.2",
//    "local_port":..,"peer":"10.213.5.1","peer_port":..,"sent":..,"received":..,
//    "datagrams_sent":..,"datagrams_received":..,"connect_us":..}
// A job that goes wrong adds "error" and the worker exits 1 (no exec).
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>

#include <ctime>
#include <string>
#include <vector>

#include "socket_util.h"

namespace {

struct Account {
  long seq = -1;
  long step = 0;
  std::string job;
  std::string local_ip;  // the socket's own address ("0.0.0.0": unconnected UDP)
  int local_port = 0;
  std::string peer;
  int peer_port = 0;
  long sent = 0;
  long received = 0;
  long datagrams_sent = 0;
  long datagrams_received = 0;
  int64_t connect_us = 0;
  std::string error;
};

int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string own_image() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

void print(const Account& a) {
  const std::string error = a.error.empty() ? "" : R"(,"error":")" + a.error + "\"";
  pf_helper::emit_line(
      R"({"seq":%ld,"step":%ld,"pid":%d,"image":"%s","job":"%s","local_ip":"%s","local_port":%d,)"
      R"("peer":"%s",)"
      R"("peer_port":%d,"sent":%ld,"received":%ld,"datagrams_sent":%ld,)"
      R"("datagrams_received":%ld,"connect_us":%lld%s})",
      a.seq, a.step, getpid(), own_image().c_str(), a.job.c_str(), a.local_ip.c_str(), a.local_port,
      a.peer.c_str(), a.peer_port, a.sent, a.received, a.datagrams_sent, a.datagrams_received,
      static_cast<long long>(a.connect_us), error.c_str());
}

// Records what failed (with errno); false, for `return fail(...)`.
bool fail(Account& a, const char* what) {
  a.error = std::string(what) + ": " + std::strerror(errno);
  return false;
}

// The socket's bound address and port, once known.
void note_local(int fd, Account& a) {
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return;
  a.local_ip = pf_helper::address_of(local);
  a.local_port = pf_helper::port_of(local);
}

// Blocking TCP connect that still learns the local port when the connect is
// refused: the port is bound by then (connect in progress on a non-blocking socket).
int tcp_connect(const pf_helper::Endpoint& peer, Account& a) {
  int fd = socket(peer.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(a, "socket");
    return -1;
  }
  a.connect_us = now_us();
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len);
  note_local(fd, a);
  if (rc != 0 && errno != EINPROGRESS) {
    fail(a, "connect");
    return fd;
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, 10000) != 1) {
    errno = ETIMEDOUT;
    fail(a, "connect");
    return fd;
  }
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    errno = error;
    fail(a, "connect");
    return fd;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

void tcp_job(const pf_helper::Endpoint& peer, long send_bytes, bool abort, Account& a) {
  int fd = tcp_connect(peer, a);
  if (fd < 0) return;
  if (a.error.empty()) {
    a.sent = pf_helper::send_pattern(fd, send_bytes);
    if (a.sent != send_bytes) {
      fail(a, "send");
    } else if (abort) {
      linger hard{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    } else {
      shutdown(fd, SHUT_WR);
      a.received = pf_helper::drain(fd);
    }
  }
  close(fd);
}

// A refused connect is the point of the job: it is an error only if it was not refused.
void refused_job(const pf_helper::Endpoint& peer, Account& a) {
  int fd = tcp_connect(peer, a);
  if (fd < 0) return;
  if (a.error.find(std::strerror(ECONNREFUSED)) != std::string::npos) {
    a.error.clear();
  } else if (a.error.empty()) {
    a.error = "connect: not refused";
  }
  close(fd);
}

// Sends and receives on a bound socket; false (with a.error) on a failure.
bool exchange_datagrams(int fd, const pf_helper::Endpoint& peer, long datagrams, long size,
                        bool connected, Account& a) {
  const auto* to = reinterpret_cast<const sockaddr*>(&peer.addr);
  a.connect_us = now_us();
  if (connected && connect(fd, to, peer.len) != 0) return fail(a, "connect");
  note_local(fd, a);
  std::vector<char> buffer(static_cast<size_t>(size) + 1, 'u');
  for (long i = 0; i < datagrams; ++i) {
    ssize_t w = connected ? send(fd, buffer.data(), static_cast<size_t>(size), 0)
                          : sendto(fd, buffer.data(), static_cast<size_t>(size), 0, to, peer.len);
    if (w < 0) return fail(a, "send");
    a.sent += w;
    a.datagrams_sent++;
    // recvfrom on the unconnected socket: the kernel tells procflow the peer
    // only when the caller asks for the source address.
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t r = connected ? recv(fd, buffer.data(), buffer.size(), 0)
                          : recvfrom(fd, buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_len);
    if (r < 0) return fail(a, "recv");
    a.received += r;
    a.datagrams_received++;
  }
  return true;
}

void udp_job(const pf_helper::Endpoint& peer, int local_port, long datagrams, long size,
             bool connected, Account& a) {
  int fd = socket(peer.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(a, "socket");
    return;
  }
  pf_helper::Endpoint local;
  pf_helper::parse_endpoint(
      peer.family == AF_INET ? "0.0.0.0" : "::", std::to_string(local_port).c_str(), local);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) != 0) {
    fail(a, "bind");
  } else {
    note_local(fd, a);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    exchange_datagrams(fd, peer, datagrams, size, connected, a);
  }
  close(fd);
}

int usage() {
  std::fprintf(stderr,
               "usage: IMAGE SEQ STEP tcp|reset IP PORT SEND_BYTES | refused IP PORT |\n"
               "       udp IP PORT LOCAL_PORT DATAGRAMS SIZE connected|unconnected\n"
               "       [--then NEXT_IMAGE SEQ STEP JOB ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv + 1, argv + argc);
  std::vector<char*> next;
  for (size_t i = 0; i < args.size(); ++i) {
    if (std::strcmp(args[i], "--then") == 0) {
      next.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      args.resize(i);
      break;
    }
  }
  if (args.size() < 5) return usage();
  Account a;
  a.seq = pf_helper::parse_count(args[0], "SEQ");
  a.step = pf_helper::parse_count(args[1], "STEP");
  const size_t at = 2;
  a.job = args[at];
  pf_helper::Endpoint peer;
  if (!pf_helper::parse_endpoint(args[at + 1], args[at + 2], peer)) return usage();
  a.peer = pf_helper::address_of(peer.addr);
  a.peer_port = pf_helper::port_of(peer.addr);
  const size_t rest = args.size() - at - 3;
  char** extra = args.data() + at + 3;

  if ((a.job == "tcp" || a.job == "reset") && rest == 1) {
    tcp_job(peer, pf_helper::parse_count(extra[0], "SEND_BYTES"), a.job == "reset", a);
  } else if (a.job == "refused" && rest == 0) {
    refused_job(peer, a);
  } else if (a.job == "udp" && rest == 4) {
    const std::string mode = extra[3];
    if (mode != "connected" && mode != "unconnected") return usage();
    udp_job(peer, static_cast<int>(pf_helper::parse_count(extra[0], "LOCAL_PORT")),
            pf_helper::parse_count(extra[1], "DATAGRAMS"), pf_helper::parse_count(extra[2], "SIZE"),
            mode == "connected", a);
  } else {
    return usage();
  }
  print(a);
  if (!a.error.empty()) return 1;
  if (next.empty()) return 0;
  next.push_back(nullptr);
  execv(next[0], next.data());
  std::fprintf(stderr, "churn worker: exec %s: %s\n", next[0], std::strerror(errno));
  return 1;
}
