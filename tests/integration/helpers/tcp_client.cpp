// Integration-test helper: one TCP client connection whose byte counts are the
// ground truth procflow's flow must match.
//
//   tcp_client IP PORT SEND_BYTES
//     connect, send exactly SEND_BYTES, half-close, read until EOF, close
//     -> {"pid":..,"local_port":..,"sent":..,"received":..}              exit 0
//   tcp_client IP PORT SEND_BYTES --hold-ms N
//     connect, send SEND_BYTES, wait until the peer acknowledged all of it,
//     print the counts so far, keep the connection fully open for N ms (so a
//     test can stop the tracer mid-flow), then half-close, drain, close
//     -> {"pid":..,"local_port":..,"sent":..,"received":0,"holding":true}
//   tcp_client IP PORT SEND_BYTES --rounds N
//     against an echoing server (prefork_server --echo): N round trips, each
//     sending SEND_BYTES/N bytes (the last one the rest) and reading the same
//     number back, with TCP_NODELAY and writes smaller than one MSS so every
//     write is a packet of its own; then half-close, drain, close
//     -> {"pid":..,"local_port":..,"sent":..,"received":..}              exit 0
//   tcp_client IP PORT SEND_BYTES --rounds N --gap-ms M
//     the same, M ms between two rounds (bytes spread over time)
//   a failed connect
//     -> {"pid":..,"local_port":..,"error":"..."}                       exit 1
//
// The hold comes before the half-close on purpose: a client that half-closed
// and then saw the server's FIN is in TIME_WAIT, which the kernel already
// counts as a closed socket, so its flow would rightly have ended.
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "socket_util.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tcp_client IP PORT SEND_BYTES [--hold-ms N | --rounds N [--gap-ms M]]\n");
  return 2;
}

// Non-blocking connect so the local port is known even when the connect fails.
int connect_with_port(const pf_helper::Endpoint& peer, int& port_out, int& error_out) {
  int fd = socket(peer.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_out = errno;
    return -1;
  }
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len);
  port_out = pf_helper::local_port(fd);
  if (rc != 0 && errno != EINPROGRESS) {
    error_out = errno;
    return fd;
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, 10000) != 1) {
    error_out = ETIMEDOUT;
    return fd;
  }
  socklen_t len = sizeof(error_out);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error_out, &len);
  if (port_out == 0) port_out = pf_helper::local_port(fd);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Waits until the peer acknowledged every byte sent (the send queue is empty).
bool wait_all_acked(int fd) {
  for (int i = 0; i < 5000; ++i) {
    int unacked = 0;
    if (ioctl(fd, SIOCOUTQ, &unacked) != 0) return false;
    if (unacked == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// The --rounds exchange; returns the bytes received (echoes, then the reply).
long echo_rounds(int fd, long send_bytes, long rounds, long gap_ms, long& sent) {
  pf_helper::set_nodelay(fd);
  // A server that does not echo must not hang the test: give up after 10 s.
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  long received = 0;
  for (long i = 0; i < rounds; ++i) {
    if (i > 0 && gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    long chunk = i + 1 < rounds ? send_bytes / rounds : send_bytes - sent;
    long n = pf_helper::send_pattern(fd, chunk, pf_helper::kSmallWrite);
    sent += n;
    received += pf_helper::recv_exact(fd, n);
  }
  shutdown(fd, SHUT_WR);
  return received + pf_helper::drain(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6 && argc != 8) return usage();
  pf_helper::Endpoint peer;
  if (!pf_helper::parse_endpoint(argv[1], argv[2], peer)) return usage();
  long send_bytes = pf_helper::parse_count(argv[3], "SEND_BYTES");
  long hold_ms = 0;
  long rounds = 0;
  long gap_ms = 0;
  if (argc == 8) {
    if (std::strcmp(argv[4], "--rounds") != 0 || std::strcmp(argv[6], "--gap-ms") != 0)
      return usage();
    gap_ms = pf_helper::parse_count(argv[7], "--gap-ms");
  }
  if (argc >= 6) {
    if (std::strcmp(argv[4], "--hold-ms") == 0) {
      hold_ms = pf_helper::parse_count(argv[5], "--hold-ms");
    } else if (std::strcmp(argv[4], "--rounds") == 0) {
      rounds = pf_helper::parse_count(argv[5], "--rounds");
      if (rounds < 1) return usage();
    } else {
      return usage();
    }
  }

  int port = 0;
  int error = 0;
  int fd = connect_with_port(peer, port, error);
  if (fd < 0 || error != 0) {
    pf_helper::emit_line(R"({"pid":%d,"local_port":%d,"error":"%s"})", getpid(), port,
                         std::strerror(error));
    if (fd >= 0) close(fd);
    return 1;
  }

  if (rounds > 0) {
    long sent = 0;
    long received = echo_rounds(fd, send_bytes, rounds, gap_ms, sent);
    pf_helper::emit_line(R"({"pid":%d,"local_port":%d,"sent":%ld,"received":%ld})", getpid(), port,
                         sent, received);
    close(fd);
    return sent == send_bytes ? 0 : 1;
  }
  long sent = pf_helper::send_pattern(fd, send_bytes);
  if (hold_ms > 0) {
    if (!wait_all_acked(fd)) std::fprintf(stderr, "tcp_client: data not acknowledged in 5 s\n");
    pf_helper::emit_line(R"({"pid":%d,"local_port":%d,"sent":%ld,"received":0,"holding":true})",
                         getpid(), port, sent);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    shutdown(fd, SHUT_WR);
    pf_helper::drain(fd);
    close(fd);
    return sent == send_bytes ? 0 : 1;
  }
  shutdown(fd, SHUT_WR);
  long received = pf_helper::drain(fd);
  pf_helper::emit_line(R"({"pid":%d,"local_port":%d,"sent":%ld,"received":%ld})", getpid(), port,
                       sent, received);
  close(fd);
  return sent == send_bytes ? 0 : 1;
}
