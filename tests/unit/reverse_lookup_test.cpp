// Tests ReverseLookup against a real DNS server: a dnsmasq child process on
// 127.0.0.1 and a free high port (no root needed), serving PTR records for
// an IPv4 and an IPv6 address. Checks the names, negative caching, answer
// TTLs, the rate limit, the pending bound, LRU eviction, and that the event
// path side (request(), cached()) never sends or waits. Skipped when dnsmasq
// is not installed.
#include "enrich/reverse_lookup.h"

#include "ip_literal.h"

#include "required_tool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace procflow {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kNow = 1'000;  // any monotonic seconds; the tests control the clock

using test::ip;

std::optional<std::string> dnsmasq_binary() {
  for (const char* path : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"})
    if (access(path, X_OK) == 0) return path;
  return std::nullopt;
}

// A loopback port free for both UDP and TCP (dnsmasq listens on both). Racy
// in principle, like every "find a free port"; the kernel hands out
// ephemeral ports round-robin, so a reuse within the test is unlikely.
uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    uint16_t port = 0;
    if (bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
      int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) port = 0;
      close(tcp);
    }
    close(udp);
    if (port >= 1024) return port;
  }
  return 0;
}

bool tcp_accepts(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(s);
  return ok;
}

// A UDP socket on loopback that receives queries and never answers.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~BlackHole() { close(fd_); }
  uint16_t port() const { return port_; }
  // Whether a datagram arrives within `wait` (and consumes it).
  bool received(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) != 1) return false;
    char buffer[1500];
    return recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) > 0;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// dnsmasq in the foreground as a child process, killed by the destructor.
class Dnsmasq {
 public:
  ~Dnsmasq() { stop(); }

  bool start(const std::string& binary, std::vector<std::string> records, std::string* error) {
    port_ = free_port();
    if (port_ == 0) {
      *error = "no free port";
      return false;
    }
    std::vector<std::string> args = {
        binary,
        "-k",  // stay in the foreground: the child's pid is dnsmasq's
        "--no-resolv",
        "--no-hosts",
        "--conf-file=/dev/null",  // not the system's configuration
        "--pid-file=",            // no pid file (none is writable without root)
        "--port=" + std::to_string(port_),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--local-ttl=120",  // the TTL of its own records; a test checks it is honoured
        // Private-range reverse names it does not know get NXDOMAIN; other
        // unknown names get REFUSED (no upstream server): both failure kinds.
        "--bogus-priv",
    };
    for (auto& r : records) args.push_back(std::move(r));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      *error = std::string("posix_spawn: ") + strerror(rc);
      return false;
    }
    // Ready once it accepts TCP (it binds UDP and TCP together).
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "dnsmasq exited at start (status " + std::to_string(status) + ")";
        return false;
      }
      if (tcp_accepts(port_)) return true;
      usleep(10'000);
    }
    *error = "dnsmasq did not start listening within 3 s";
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

class ReverseLookupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto binary = dnsmasq_binary();
    if (!binary) return;
    server_ = new Dnsmasq;
    // Upper case in a target checks that names come out lowercased.
    if (!server_->start(*binary,
                        {"--ptr-record=10.2.0.192.in-addr.arpa,Host-One.Example.TEST",
                         "--ptr-record=11.2.0.192.in-addr.arpa,two.example.test",
                         "--ptr-record=12.2.0.192.in-addr.arpa,three.example.test",
                         // Not host-name syntax: must not reach any output.
                         "--ptr-record=13.2.0.192.in-addr.arpa,bad!name.example",
                         // RFC 2317 classless delegation: the PTR sits behind a CNAME.
                         "--cname=14.2.0.192.in-addr.arpa,14.0-24.2.0.192.in-addr.arpa",
                         "--ptr-record=14.0-24.2.0.192.in-addr.arpa,classless.example.test",
                         // 2001:db8::1, nibbles reversed (RFC 3596 2.5).
                         "--ptr-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                         "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,v6.example.test"},
                        &start_error_)) {
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    PROCFLOW_REQUIRE_OR_SKIP(dnsmasq_binary(), "dnsmasq is not installed");
    ASSERT_NE(server_, nullptr) << start_error_;
  }

  ReverseLookupConfig config() const {
    ReverseLookupConfig c;
    c.server = "127.0.0.1";
    c.port = server_->port();
    return c;
  }

  std::unique_ptr<ReverseLookup> make(const ReverseLookupConfig& c) {
    std::string error;
    auto rl = ReverseLookup::create(c, &error);
    EXPECT_NE(rl, nullptr) << error;
    return rl;
  }

  // Runs process() until `done` or at most 3 s, waiting on poll_fd() between
  // rounds the way the tracer's epoll loop does.
  static bool drive(ReverseLookup& rl, uint64_t now_s, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (true) {
      rl.process(now_s);
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      pollfd p{rl.poll_fd(), POLLIN, 0};
      poll(&p, 1, 20);
    }
  }

  // Requests `address` and drives until its query has ended either way.
  static bool resolve(ReverseLookup& rl, const IpAddress& address, uint64_t now_s) {
    rl.request(address, now_s);
    return drive(rl, now_s, [&] { return rl.pending() == 0; });
  }

  static inline Dnsmasq* server_ = nullptr;
  static inline std::string start_error_;
};

TEST_F(ReverseLookupTest, ResolvesIpv4NameLowercased) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.10"), kNow));
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "host-one.example.test");
  // IPv4-mapped IPv6 is the same host.
  EXPECT_EQ(rl->cached(ip("::ffff:192.0.2.10"), kNow), "host-one.example.test");
  EXPECT_EQ(rl->queries_sent(), 1u);
  EXPECT_EQ(rl->answers(), 1u);
  EXPECT_EQ(rl->failures(), 0u);
  EXPECT_EQ(rl->size(), 1u);
}

TEST_F(ReverseLookupTest, ResolvesIpv6Name) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("2001:db8::1"), kNow));
  EXPECT_EQ(rl->cached(ip("2001:db8::1"), kNow), "v6.example.test");
  EXPECT_EQ(rl->answers(), 1u);
}

TEST_F(ReverseLookupTest, FollowsClasslessDelegationCname) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.14"), kNow));
  EXPECT_EQ(rl->cached(ip("192.0.2.14"), kNow), "classless.example.test");
}

TEST_F(ReverseLookupTest, RefusesNamesThatAreNotHostNames) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.13"), kNow));
  EXPECT_EQ(rl->cached(ip("192.0.2.13"), kNow), "");
  EXPECT_EQ(rl->failures(), 1u);
  EXPECT_EQ(rl->answers(), 0u);
}

TEST_F(ReverseLookupTest, UnknownAddressIsCachedNegatively) {
  auto c = config();
  c.negative_ttl_s = 300;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  const IpAddress unknown = ip("10.0.0.99");  // NXDOMAIN (--bogus-priv)
  ASSERT_TRUE(resolve(*rl, unknown, kNow));
  EXPECT_EQ(rl->cached(unknown, kNow), "");
  EXPECT_EQ(rl->queries_sent(), 1u);
  EXPECT_EQ(rl->failures(), 1u);
  EXPECT_EQ(rl->answers(), 0u);
  EXPECT_EQ(rl->size(), 1u);  // the negative entry

  // Within the negative TTL a new request sends nothing.
  rl->request(unknown, kNow + 299);
  rl->process(kNow + 299);
  EXPECT_EQ(rl->pending(), 0u);
  EXPECT_EQ(rl->queries_sent(), 1u);

  // After it, the address is asked again.
  rl->request(unknown, kNow + 300);
  rl->process(kNow + 300);
  EXPECT_EQ(rl->queries_sent(), 2u);
}

TEST_F(ReverseLookupTest, RefusedQueryIsCachedNegatively) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  const IpAddress unknown = ip("192.0.2.99");  // REFUSED: dnsmasq has no upstream
  ASSERT_TRUE(resolve(*rl, unknown, kNow));
  EXPECT_EQ(rl->cached(unknown, kNow), "");
  EXPECT_EQ(rl->failures(), 1u);
  const uint64_t sent = rl->queries_sent();
  rl->request(unknown, kNow + 1);
  rl->process(kNow + 1);
  EXPECT_EQ(rl->queries_sent(), sent);
}

TEST_F(ReverseLookupTest, AnswerTtlIsHonouredAndCapped) {
  // dnsmasq serves its records with TTL 120 (--local-ttl).
  auto rl = make(config());
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.11"), kNow));
  EXPECT_EQ(rl->cached(ip("192.0.2.11"), kNow + 119), "two.example.test");
  EXPECT_EQ(rl->cached(ip("192.0.2.11"), kNow + 120), "");

  auto c = config();
  c.positive_ttl_s = 30;
  auto capped = make(c);
  ASSERT_TRUE(capped);
  ASSERT_TRUE(resolve(*capped, ip("192.0.2.11"), kNow));
  EXPECT_EQ(capped->cached(ip("192.0.2.11"), kNow + 29), "two.example.test");
  EXPECT_EQ(capped->cached(ip("192.0.2.11"), kNow + 30), "");
}

TEST_F(ReverseLookupTest, RateLimitDropsExcessRequests) {
  auto c = config();
  c.max_queries_per_s = 2;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  for (int i = 0; i < 10; ++i) {
    rl->request(ip(("198.51.100." + std::to_string(i + 1)).c_str()), kNow);
  }
  rl->process(kNow);
  EXPECT_EQ(rl->queries_sent(), 2u);
  EXPECT_EQ(rl->dropped_rate_limited(), 8u);
  EXPECT_EQ(rl->dropped_queue_full(), 0u);

  // The next second brings two more tokens, not ten.
  for (int i = 0; i < 10; ++i) {
    rl->request(ip(("198.51.100." + std::to_string(i + 101)).c_str()), kNow + 1);
  }
  rl->process(kNow + 1);
  EXPECT_EQ(rl->queries_sent(), 4u);
  EXPECT_EQ(rl->dropped_rate_limited(), 16u);
}

TEST_F(ReverseLookupTest, PendingBoundDropsWhenFull) {
  auto c = config();
  c.max_pending = 3;
  c.max_queries_per_s = 1000;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  for (int i = 0; i < 5; ++i) {
    rl->request(ip(("198.51.100." + std::to_string(i + 1)).c_str()), kNow);
  }
  EXPECT_EQ(rl->pending(), 3u);
  EXPECT_EQ(rl->dropped_queue_full(), 2u);
  EXPECT_EQ(rl->dropped_rate_limited(), 0u);
  // A duplicate of a pending address is neither queued nor counted.
  rl->request(ip("198.51.100.1"), kNow);
  EXPECT_EQ(rl->dropped_queue_full(), 2u);

  // Once the queries end, the slots are free again.
  ASSERT_TRUE(drive(*rl, kNow, [&] { return rl->pending() == 0; }));
  rl->request(ip("192.0.2.10"), kNow);
  EXPECT_EQ(rl->pending(), 1u);
}

TEST_F(ReverseLookupTest, CacheEvictsLeastRecentlyUsed) {
  auto c = config();
  c.max_entries = 2;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.10"), kNow));
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.11"), kNow));
  // A hit is a use: .11 is now the least recently used.
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "host-one.example.test");
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.12"), kNow));

  EXPECT_EQ(rl->size(), 2u);
  EXPECT_EQ(rl->evictions(), 1u);
  EXPECT_EQ(rl->cached(ip("192.0.2.11"), kNow), "");
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "host-one.example.test");
  EXPECT_EQ(rl->cached(ip("192.0.2.12"), kNow), "three.example.test");

  // The evicted address is asked again.
  const uint64_t sent = rl->queries_sent();
  rl->request(ip("192.0.2.11"), kNow);
  rl->process(kNow);
  EXPECT_EQ(rl->queries_sent(), sent + 1);
}

TEST_F(ReverseLookupTest, EventPathNeverSendsOrWaits) {
  // A "server" that never answers shows exactly when a query goes out.
  BlackHole hole;
  ASSERT_NE(hole.port(), 0);
  auto c = config();
  c.port = hole.port();
  auto rl = make(c);
  ASSERT_TRUE(rl);
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 1000; ++round) {
    rl->request(ip("192.0.2.10"), kNow);
    EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "");
  }
  // Without process() nothing was sent, no socket exists, and no call waited
  // (a single network wait would blow this budget).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(rl->queries_sent(), 0u);
  EXPECT_TRUE(rl->fds().empty());
  EXPECT_FALSE(hole.received(0ms));
  EXPECT_EQ(rl->pending(), 1u);

  // process() sends it; its socket is there while the query is in flight.
  rl->process(kNow);
  EXPECT_EQ(rl->queries_sent(), 1u);
  EXPECT_TRUE(hole.received(1s));
  EXPECT_EQ(rl->fds().size(), 1u);
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "");
}

TEST_F(ReverseLookupTest, TimeoutFailsAndIsCachedNegatively) {
  BlackHole hole;
  ASSERT_NE(hole.port(), 0);
  auto c = config();
  c.port = hole.port();
  c.timeout_ms = 200;
  c.tries = 1;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.10"), kNow));
  EXPECT_EQ(rl->failures(), 1u);
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "");
  EXPECT_TRUE(rl->fds().empty());  // c-ares closed the socket with the last query
  rl->request(ip("192.0.2.10"), kNow + 1);
  EXPECT_EQ(rl->pending(), 0u);
}

TEST_F(ReverseLookupTest, UnreachableServerFailsAndIsCachedNegatively) {
  auto c = config();
  c.port = free_port();  // nobody listens: the query fails (refused or timed out)
  c.timeout_ms = 300;
  auto rl = make(c);
  ASSERT_TRUE(rl);
  ASSERT_TRUE(resolve(*rl, ip("192.0.2.10"), kNow));
  EXPECT_EQ(rl->failures(), 1u);
  EXPECT_EQ(rl->cached(ip("192.0.2.10"), kNow), "");
  rl->request(ip("192.0.2.10"), kNow + 1);
  EXPECT_EQ(rl->pending(), 0u);
}

TEST_F(ReverseLookupTest, DestroyedWithQueriesInFlight) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  rl->request(ip("192.0.2.10"), kNow);
  rl->request(ip("2001:db8::1"), kNow);
  rl->request(ip("192.0.2.77"), kNow);  // queued, never sent
  rl->process(kNow);
  rl->request(ip("192.0.2.78"), kNow);
  // c-ares ends the outstanding queries in the destructor; under ASan this
  // checks nothing leaks or touches freed memory.
  rl.reset();
}

TEST_F(ReverseLookupTest, IgnoresUnsetAndUnspecifiedAddresses) {
  auto rl = make(config());
  ASSERT_TRUE(rl);
  rl->request(IpAddress{}, kNow);
  rl->request(ip("0.0.0.0"), kNow);
  rl->request(ip("::"), kNow);
  EXPECT_EQ(rl->pending(), 0u);
  EXPECT_EQ(rl->cached(IpAddress{}, kNow), "");
}

TEST(ReverseLookupConfigTest, RejectsInvalidConfiguration) {
  std::string error;
  ReverseLookupConfig c;
  c.server = "127.0.0.1";
  c.max_queries_per_s = 0;
  EXPECT_EQ(ReverseLookup::create(c, &error), nullptr);
  EXPECT_NE(error.find("max_queries_per_s"), std::string::npos) << error;

  c = {};
  c.server = "127.0.0.1";
  c.max_entries = 0;
  EXPECT_EQ(ReverseLookup::create(c, &error), nullptr);

  c = {};
  c.server = "dns.example";  // a name would need resolving itself
  EXPECT_EQ(ReverseLookup::create(c, &error), nullptr);
  EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;

  c = {};
  c.server = "::1";
  EXPECT_NE(ReverseLookup::create(c, &error), nullptr) << error;
}

}  // namespace
}  // namespace procflow
