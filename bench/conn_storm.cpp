// conn_storm: a fixed, repeatable TCP workload for measuring what a tracer costs the host.
//
// One process, two threads: a server thread accepts on 127.0.0.1, reads the request, answers and
// closes; the main thread opens the connections one after another (connect, send, read the
// answer, close). Every connection is therefore a complete TCP life cycle (SYN, data both ways,
// FIN) that a flow tracer has to see start and end, and the run is limited by per-connection
// kernel work, which is exactly where kernel-side tracing cost shows up.
//
// Prints one line of key=value pairs (parsed by overhead.sh):
//   connections=3000 elapsed_s=0.412345 conn_per_s=7275.3 cpu_user_s=0.05 cpu_sys_s=0.61
// cpu_* is this process's CPU time (both threads). BPF programs attached to socket hooks run in
// the context of the task that triggers them, so their cost lands in cpu_sys_s here rather than
// in the tracer's own CPU time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

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
  long bytes = 100;  // request and answer size
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "conn_storm: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--connections N] [--bytes N]\n"
               "  N sequential TCP connections on 127.0.0.1, each sending N bytes and reading\n"
               "  N bytes back; prints elapsed time and connections per second.\n",
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

// Reads exactly `n` bytes; false on EOF or error.
bool read_full(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

bool write_full(int fd, const char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::write(fd, buf + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

double seconds(const timeval& tv) {
  return tv.tv_sec + tv.tv_usec / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    bool ok = false;
    if ((a == "--connections" || a == "-n") && i + 1 < argc) {
      ok = parse_long(argv[++i], 1, 10'000'000, &opt.connections);
    } else if (a == "--bytes" && i + 1 < argc) {
      ok = parse_long(argv[++i], 1, 1 << 20, &opt.bytes);
    }
    if (!ok) {
      usage(argv[0]);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }

  // Port 0: a fresh ephemeral port each run. Repeated runs then never meet the TIME_WAIT
  // tuples a previous run left behind, which would otherwise exhaust client ports.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
  if (::listen(listener, 1024) != 0) die("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) die("getsockname");

  const size_t n = static_cast<size_t>(opt.bytes);
  std::atomic<long> served{0};
  std::thread server([&] {
    std::vector<char> buf(n, 's');
    for (long i = 0; i < opt.connections; i++) {
      int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) {
          i--;
          continue;
        }
        die("accept");
      }
      if (read_full(c, buf.data(), n) && write_full(c, buf.data(), n)) served++;
      ::close(c);
    }
  });

  std::vector<char> request(n, 'c'), answer(n);
  long failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < opt.connections; i++) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    // Small request/answer exchanges: without NODELAY, Nagle plus delayed ACK could add
    // ~40 ms stalls that would swamp the cost being measured.
    int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    if (!write_full(s, request.data(), n) || !read_full(s, answer.data(), n)) failed++;
    ::close(s);
  }
  server.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(listener);

  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "connections=%ld elapsed_s=%.6f conn_per_s=%.1f cpu_user_s=%.3f cpu_sys_s=%.3f "
      "failed=%ld\n",
      opt.connections, elapsed, opt.connections / elapsed, seconds(ru.ru_utime),
      seconds(ru.ru_stime), failed + (opt.connections - served.load()));
  return failed == 0 && served.load() == opt.connections ? 0 : 1;
}
