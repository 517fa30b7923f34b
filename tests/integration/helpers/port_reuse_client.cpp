// Integration-test helper: many TCP connections, one after the other, from
// one fixed local port (or a few), so that the same 4-tuple is reused by
// connection after connection. The ground truth for per-connection packet
// counts, flags and end reasons.
//
//   port_reuse_client IP PORT LOCAL_PORT CONNECTIONS [options]
//     --ports P         use LOCAL_PORT .. LOCAL_PORT+P-1 in turn (default 1)
//     --gap-ms N        pause between one connection's end and the next connect (default 0)
//     --rounds R        echoed round trips per connection (default 3)
//     --round-bytes B   bytes per round, one write below one MSS (default 200)
//     --abort-every K   every K-th connection (the K-th, 2K-th, ...) closes abortively
//                       (SO_LINGER 0: an RST) right after its rounds (default 0: never)
//     --server-closes   the server closes first (prefork_server --echo-close): after the
//                       rounds read until its EOF, then close; otherwise the client closes
//                       first: half-close, read until EOF, close (TIME_WAIT is the client's)
//   one line per connection, when it is done:
//     {"pid":..,"index":I,"local_port":..,"sent":..,"received":..,"aborted":true|false}
//   a connection that fails:
//     {"pid":..,"index":I,"local_port":..,"error":"..."}                 exit 1
//
// Every socket binds its port with SO_REUSEADDR and TCP_NODELAY is set, so
// each write is a packet of its own. When the server closes first, the
// client's socket passes through LAST_ACK: it is closed only once it reached
// TCP_CLOSE, so the next connect on the same tuple never finds it still
// hashed (EADDRNOTAVAIL). A client that closes first leaves TIME_WAIT behind:
// reconnecting on its tuple needs net.ipv4.tcp_tw_reuse=1 (and a
// tcp_tw_reuse_delay below the gap) in the namespace.
#include <netinet/tcp.h>
#include <sys/time.h>

#include <chrono>
#include <thread>

#include "socket_util.h"

namespace {

struct Options {
  long ports = 1;
  long gap_ms = 0;
  long rounds = 3;
  long round_bytes = 200;
  long abort_every = 0;
  bool server_closes = false;
};

int usage() {
  std::fprintf(stderr,
               "usage: port_reuse_client IP PORT LOCAL_PORT CONNECTIONS [--ports P] [--gap-ms N] "
               "[--rounds R] [--round-bytes B] [--abort-every K] [--server-closes]\n");
  return 2;
}

// The address family's wildcard address with `port`.
pf_helper::Endpoint wildcard(int family, long port) {
  pf_helper::Endpoint local;
  pf_helper::parse_endpoint(family == AF_INET ? "0.0.0.0" : "::", std::to_string(port).c_str(),
                            local);
  return local;
}

// A connected socket bound to `port`; -1 with `error` set otherwise.
int connect_from(const pf_helper::Endpoint& peer, long port, int& error) {
  int fd = socket(peer.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  pf_helper::set_nodelay(fd);
  // A server that does not answer must not hang the test.
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  pf_helper::Endpoint local = wildcard(peer.family, port);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) != 0 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len) != 0) {
    error = errno;
    close(fd);
    return -1;
  }
  return fd;
}

// Waits (up to 5 s) until the socket reached TCP_CLOSE: its last ACK came.
bool wait_closed(int fd) {
  for (int i = 0; i < 5000; ++i) {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
    if (info.tcpi_state == TCP_CLOSE) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// One connection's exchange and close; false (with `error`) when it failed.
bool exchange(int fd, const Options& o, bool abort, long& sent, long& received,
              std::string& error) {
  for (long i = 0; i < o.rounds; ++i) {
    long n = pf_helper::send_pattern(fd, o.round_bytes, pf_helper::kSmallWrite);
    sent += n;
    long echoed = pf_helper::recv_exact(fd, n);
    received += echoed;
    if (n != o.round_bytes || echoed != n) {
      error = "short round";
      return false;
    }
  }
  if (abort) {
    linger hard{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    return true;  // the caller's close() sends the RST
  }
  if (o.server_closes) {
    received += pf_helper::drain(fd);  // the server's FIN: we are in CLOSE_WAIT
    shutdown(fd, SHUT_WR);             // LAST_ACK
    if (!wait_closed(fd)) {
      error = "the server never acknowledged our FIN";
      return false;
    }
    return true;
  }
  shutdown(fd, SHUT_WR);
  received += pf_helper::drain(fd);  // the server's FIN: we are in TIME_WAIT
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  pf_helper::Endpoint peer;
  if (!pf_helper::parse_endpoint(argv[1], argv[2], peer)) return usage();
  long base_port = pf_helper::parse_count(argv[3], "LOCAL_PORT");
  long connections = pf_helper::parse_count(argv[4], "CONNECTIONS");
  Options o;
  for (int i = 5; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--server-closes") {
      o.server_closes = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const char* value = argv[++i];
    if (arg == "--ports") {
      o.ports = pf_helper::parse_count(value, "--ports");
    } else if (arg == "--gap-ms") {
      o.gap_ms = pf_helper::parse_count(value, "--gap-ms");
    } else if (arg == "--rounds") {
      o.rounds = pf_helper::parse_count(value, "--rounds");
    } else if (arg == "--round-bytes") {
      o.round_bytes = pf_helper::parse_count(value, "--round-bytes");
    } else if (arg == "--abort-every") {
      o.abort_every = pf_helper::parse_count(value, "--abort-every");
    } else {
      return usage();
    }
  }
  if (o.ports < 1 || base_port < 1 || base_port + o.ports - 1 > 65535 || o.round_bytes < 1 ||
      o.round_bytes > pf_helper::kSmallWrite) {
    return usage();
  }

  for (long index = 0; index < connections; ++index) {
    if (index > 0 && o.gap_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.gap_ms));
    }
    long port = base_port + index % o.ports;
    bool abort = o.abort_every > 0 && (index + 1) % o.abort_every == 0;
    int error = 0;
    int fd = connect_from(peer, port, error);
    if (fd < 0) {
      pf_helper::emit_line(R"({"pid":%d,"index":%ld,"local_port":%ld,"error":"%s"})", getpid(),
                           index, port, std::strerror(error));
      return 1;
    }
    long sent = 0;
    long received = 0;
    std::string failure;
    bool ok = exchange(fd, o, abort, sent, received, failure);
    close(fd);
    if (!ok) {
      pf_helper::emit_line(R"({"pid":%d,"index":%ld,"local_port":%ld,"error":"%s"})", getpid(),
                           index, port, failure.c_str());
      return 1;
    }
    pf_helper::emit_line(
        R"({"pid":%d,"index":%ld,"local_port":%ld,"sent":%ld,"received":%ld,"aborted":%s})",
        getpid(), index, port, sent, received, abort ? "true" : "false");
  }
  return 0;
}
