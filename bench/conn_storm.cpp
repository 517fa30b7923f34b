// conn_storm: a fixed, repeatable TCP workload for measuring what a tracer costs the host.
//
// One process. Client threads open connections one after another (connect, send the request,
// read the answer, close); as many server threads accept on one listener, read the request,
// answer and close. Every connection is therefore a complete TCP life cycle (SYN, data both
// ways, FIN) that a flow tracer has to see start and end.
//
// Two shapes, chosen by the sizes:
//   short connections (default: 100 B each way): limited by per-connection kernel work, which
//     is exactly where kernel-side tracing cost shows up. --parallel N runs N clients at once.
//   bulk transfers (e.g. --connections 2 --parallel 2 --bytes 268435456 --answer-bytes 100):
//     limited by per-packet work, where TC programs would show up.
//
// The server listens on 127.0.0.1 by default. With --netns NAME (a namespace made by `ip netns
// add NAME`) and --server-address, the listener is created inside that namespace, so the
// traffic crosses a real interface (a veth pair) instead of loopback; the clients stay in the
// caller's namespace.
//
// Prints one line of key=value pairs (parsed by overhead.sh):
//   connections=5000 parallel=2 port=40123 elapsed_s=0.412345 conn_per_s=12126.0
//   bytes=1000000 mb_per_s=2.4 cpu_user_s=0.05 cpu_sys_s=0.61 failed=0
// bytes counts both directions. cpu_* is this process's CPU time (all threads, clients and
// server). BPF programs attached to socket hooks run in the context of the task that triggers
// them, so their cost lands in cpu_sys_s here rather than in the tracer's own CPU time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options {
  long connections = 3000;
  long parallel = 1;
  long long bytes = 100;        // request size
  long long answer_bytes = -1;  // answer size; -1: same as the request
  std::string netns;            // server's network namespace (`ip netns` name); empty: ours
  std::string server_address = "127.0.0.1";
};

// Bulk transfers move their data in writes and reads of this size (one buffer per thread).
constexpr size_t kChunk = 256 * 1024;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "conn_storm: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--connections N] [--parallel N] [--bytes N] [--answer-bytes N]\n"
               "          [--netns NAME --server-address IPV4]\n"
               "  N TCP connections, --parallel of them at a time; each sends --bytes (default\n"
               "  100) and reads --answer-bytes (default: --bytes) back. The server listens on\n"
               "  --server-address (default 127.0.0.1), inside network namespace NAME if given.\n"
               "  Prints elapsed time, connections/s, MB/s and the process's CPU time.\n",
               argv0);
}

bool parse_number(const char* text, long long min, long long max, long long* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

bool parse_long(const char* text, long min, long max, long* out) {
  long long v = 0;
  if (!parse_number(text, min, max, &v)) return false;
  *out = static_cast<long>(v);
  return true;
}

// Reads exactly `n` bytes into `buf` (reused for every chunk); false on EOF or error.
bool read_exactly(int fd, std::vector<char>& buf, long long n) {
  while (n > 0) {
    size_t want = static_cast<size_t>(std::min<long long>(n, static_cast<long long>(buf.size())));
    ssize_t r = ::read(fd, buf.data(), want);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    n -= r;
  }
  return true;
}

// Writes `n` bytes from `buf`, repeated as often as needed.
bool write_exactly(int fd, const std::vector<char>& buf, long long n) {
  while (n > 0) {
    size_t want = static_cast<size_t>(std::min<long long>(n, static_cast<long long>(buf.size())));
    ssize_t r = ::write(fd, buf.data(), want);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    n -= r;
  }
  return true;
}

double seconds(const timeval& tv) {
  return tv.tv_sec + tv.tv_usec / 1e6;
}

// A listening socket on `addr` (port 0: the kernel picks a fresh one). A socket belongs to the
// network namespace of the thread that creates it, so for another namespace this thread enters
// it for the socket() call only and comes back.
int make_listener(const Options& opt, sockaddr_in* addr) {
  int home = -1;
  if (!opt.netns.empty()) {
    home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) die("open /proc/thread-self/ns/net");
    std::string path = "/run/netns/" + opt.netns;
    int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) die(path.c_str());
    if (::setns(target, CLONE_NEWNET) != 0) die("setns (server namespace)");
    ::close(target);
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  if (home >= 0) {
    if (::setns(home, CLONE_NEWNET) != 0) die("setns (back)");
    ::close(home);
  }
  if (::bind(listener, reinterpret_cast<sockaddr*>(addr), sizeof *addr) != 0) die("bind");
  if (::listen(listener, 4096) != 0) die("listen");
  socklen_t len = sizeof *addr;
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(addr), &len) != 0) die("getsockname");
  return listener;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    bool ok = false;
    if (i + 1 < argc) {
      const char* v = argv[i + 1];
      if (a == "--connections" || a == "-n") {
        ok = parse_long(v, 1, 10'000'000, &opt.connections);
      } else if (a == "--parallel") {
        ok = parse_long(v, 1, 256, &opt.parallel);
      } else if (a == "--bytes") {
        ok = parse_number(v, 1, 1LL << 40, &opt.bytes);
      } else if (a == "--answer-bytes") {
        ok = parse_number(v, 1, 1LL << 40, &opt.answer_bytes);
      } else if (a == "--netns") {
        opt.netns = v;
        ok = !opt.netns.empty() && opt.netns.find('/') == std::string::npos;
      } else if (a == "--server-address") {
        opt.server_address = v;
        ok = true;
      }
      if (ok) i++;
    }
    if (!ok) {
      usage(argv[0]);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (opt.answer_bytes < 0) opt.answer_bytes = opt.bytes;
  opt.parallel = std::min(opt.parallel, opt.connections);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, opt.server_address.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "conn_storm: --server-address %s is not an IPv4 address\n",
                 opt.server_address.c_str());
    return 2;
  }
  // Port 0: a fresh ephemeral port each run. Repeated runs then never meet the TIME_WAIT
  // tuples a previous run left behind, which would otherwise exhaust client ports.
  int listener = make_listener(opt, &addr);

  // Each server thread claims one accept at a time, so together they accept exactly
  // `connections` and none is left blocked in accept() at the end.
  std::atomic<long> to_accept{opt.connections};
  std::atomic<long> served{0};
  auto serve = [&] {
    std::vector<char> buf(kChunk, 's');
    while (to_accept.fetch_sub(1) > 0) {
      int c;
      do {
        c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      } while (c < 0 && (errno == EINTR || errno == ECONNABORTED));
      if (c < 0) die("accept");
      if (read_exactly(c, buf, opt.bytes) && write_exactly(c, buf, opt.answer_bytes)) served++;
      ::close(c);
    }
  };

  std::atomic<long> failed{0};
  auto connect_some = [&](long count) {
    std::vector<char> buf(kChunk, 'c');
    for (long i = 0; i < count; i++) {
      int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (s < 0) die("socket");
      // Small request/answer exchanges: without NODELAY, Nagle plus delayed ACK could add
      // ~40 ms stalls that would swamp the cost being measured.
      int one = 1;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
      if (!write_exactly(s, buf, opt.bytes) || !read_exactly(s, buf, opt.answer_bytes)) failed++;
      ::close(s);
    }
  };

  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (long t = 0; t < opt.parallel; t++) threads.emplace_back(serve);
  for (long t = 0; t < opt.parallel; t++) {
    // The first (connections % parallel) clients take one connection more.
    long share = opt.connections / opt.parallel + (t < opt.connections % opt.parallel ? 1 : 0);
    threads.emplace_back(connect_some, share);
  }
  for (auto& t : threads) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(listener);

  const long long bytes = opt.connections * (opt.bytes + opt.answer_bytes);
  const long lost = failed.load() + (opt.connections - served.load());
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "connections=%ld parallel=%ld port=%u elapsed_s=%.6f conn_per_s=%.1f bytes=%lld "
      "mb_per_s=%.1f cpu_user_s=%.3f cpu_sys_s=%.3f failed=%ld\n",
      opt.connections, opt.parallel, ntohs(addr.sin_port), elapsed, opt.connections / elapsed,
      bytes, bytes / 1e6 / elapsed, seconds(ru.ru_utime), seconds(ru.ru_stime), lost);
  return lost == 0 ? 0 : 1;
}
