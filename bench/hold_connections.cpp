// hold_connections: opens N TCP connections on loopback and keeps every one of them open until
// told to close them, so a tracer's memory can be measured with N connections alive at once
// (bench/open_flows.sh).
//
// One process holds both ends: the client socket and the accepted server socket of each
// connection, 2 descriptors per connection, within its RLIMIT_NOFILE hard limit (open_flows.sh
// starts several holders, each on its own server ports, when one cannot hold them all). The
// connections are spread over several server ports because a (source address, destination address,
// destination port) triple has only the ephemeral range (~28 000 ports) to choose client ports
// from.
//
// Protocol on stdout/stdin, one line each, for the script that drives it:
//   prints "open N"    once all N connections are established and accepted;
//   waits for any line (or EOF) on stdin, then closes the client ends, then the server ends;
//   prints "closed N"  and exits.
// No data is sent: an idle connection is the cheapest thing a tracer has to remember, so what is
// measured is the cost of one more open flow, nothing else.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

struct Options {
  long connections = 50'000;
  long first_port = 24'000;  // below the ephemeral range: never taken by a client socket
  long ports = 8;
  long batch = 512;  // connects in flight before they are accepted: fits any listen backlog
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "hold_connections: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--connections N] [--first-port P] [--ports K]\n"
               "  opens N TCP connections to 127.0.0.1:P..P+K-1 and holds them open until a\n"
               "  line (or EOF) arrives on stdin; prints \"open N\" and \"closed N\".\n",
               argv0);
}

bool parse_long(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    long* target = a == "--connections"  ? &o.connections
                   : a == "--first-port" ? &o.first_port
                   : a == "--ports"      ? &o.ports
                                         : nullptr;
    long max = a == "--connections" ? 1'000'000 : a == "--ports" ? 256 : 65'535;
    if (!target || i + 1 == argc || !parse_long(argv[++i], 1, max, target)) {
      usage(argv[0]);
      std::exit(2);
    }
  }
  if (o.first_port + o.ports - 1 > 65'535) {
    usage(argv[0]);
    std::exit(2);
  }
  return o;
}

// Two descriptors per connection plus the listeners: more than the usual 1024 soft limit. Only up
// to the hard limit, which needs no privilege (raising the hard limit needs CAP_SYS_RESOURCE,
// which a container often lacks): open_flows.sh runs as many holders as the connections need.
void raise_fd_limit(long needed) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) die("getrlimit");
  if (lim.rlim_cur >= static_cast<rlim_t>(needed)) return;
  if (lim.rlim_max < static_cast<rlim_t>(needed)) {
    std::fprintf(stderr,
                 "hold_connections: %ld descriptors needed, RLIMIT_NOFILE's hard limit is %llu: "
                 "use fewer connections per process\n",
                 needed, static_cast<unsigned long long>(lim.rlim_max));
    std::exit(1);
  }
  lim.rlim_cur = static_cast<rlim_t>(needed);
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) die("setrlimit RLIMIT_NOFILE");
}

sockaddr_in loopback(long port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int listen_on(long port, long backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (listen(fd, static_cast<int>(backlog)) != 0) die("listen");
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  raise_fd_limit(2 * o.connections + o.ports + 64);

  std::vector<int> listeners;
  for (long p = 0; p < o.ports; p++) listeners.push_back(listen_on(o.first_port + p, o.batch));
  std::vector<int> clients, servers;
  clients.reserve(static_cast<size_t>(o.connections));
  servers.reserve(static_cast<size_t>(o.connections));

  // A batch is connected to one port and then accepted from it: a blocking connect on loopback
  // returns as soon as the handshake is done and the socket waits in the accept queue, which the
  // batch size keeps from overflowing (an overflow would cost a 1 s SYN retransmit).
  for (long done = 0; done < o.connections;) {
    const long port_index = (done / o.batch) % o.ports;
    const long n = std::min(o.batch, o.connections - done);
    const sockaddr_in to = loopback(o.first_port + port_index);
    for (long i = 0; i < n; i++) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket");
      if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) die("connect");
      clients.push_back(fd);
    }
    for (long i = 0; i < n; i++) {
      int fd = accept4(listeners[static_cast<size_t>(port_index)], nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) die("accept");
      servers.push_back(fd);
    }
    done += n;
  }
  std::printf("open %ld\n", o.connections);
  std::fflush(stdout);

  char line[64];
  (void)!std::fgets(line, sizeof line, stdin);  // any line or EOF: time to close

  // The client closes first, as a client usually does: it goes to TIME_WAIT, the server end
  // through CLOSE_WAIT and LAST_ACK. Every socket reaches TCP_CLOSE, where a tracer ends it.
  for (int fd : clients) close(fd);
  for (int fd : servers) close(fd);
  for (int fd : listeners) close(fd);
  std::printf("closed %ld\n", o.connections);
  std::fflush(stdout);
  return 0;
}
