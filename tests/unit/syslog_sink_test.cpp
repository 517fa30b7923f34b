// Tests SyslogSink against real sockets of the test's own: a unix datagram
// socket, a UDP socket and a TCP listener on 127.0.0.1 (ephemeral ports).
// Checks one message per event, octet counting on TCP, and that a receiver
// that goes away costs counted messages and a new connection, never the sink.
#include "output/syslog_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace procflow {
namespace {

using namespace std::chrono_literals;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(Fd&& other) noexcept : fd(other.fd) { other.fd = -1; }
  Fd& operator=(Fd&&) = delete;
};

SyslogHeader test_header() {
  SyslogHeader h;
  h.hostname = "sensor";
  h.procid = "77";
  return h;
}

// Receives up to one datagram, waiting at most 2 s; empty on timeout.
std::string receive_datagram(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 2000) != 1) return {};
  char buf[65536];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The MSG part of an RFC 5424 message with the test header (7 fields before it).
std::string msg_of(const std::string& message) {
  size_t pos = 0;
  for (int field = 0; field < 7 && pos != std::string::npos; ++field)
    pos = message.find(' ', pos + 1);
  return pos == std::string::npos ? std::string() : message.substr(pos + 1);
}

uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

Fd loopback_socket(int type) {
  Fd s(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(listen(s.fd, 4), 0);
  }
  return s;
}

TEST(SyslogSinkTest, LocalDatagramSocketGetsOneMessagePerEvent) {
  char dir[] = "/tmp/procflow-syslog-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/log";
  Fd server(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(server.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  SyslogTarget target;
  target.socket_path = path;
  SyslogSink sink(target, test_header());
  sink.write("{\"n\":1}\n{\"n\":2}\n");
  const std::string first = receive_datagram(server.fd), second = receive_datagram(server.fd);
  EXPECT_TRUE(first.starts_with("<14>1 ")) << first;
  EXPECT_NE(first.find(" sensor procflow 77 flow - "), std::string::npos) << first;
  EXPECT_EQ(msg_of(first), "{\"n\":1}");
  EXPECT_EQ(msg_of(second), "{\"n\":2}");
  EXPECT_EQ(sink.events_dropped(), 0u);
  EXPECT_EQ(sink.bytes_written(), first.size() + second.size());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(SyslogSinkTest, UdpSendsOneDatagramPerEvent) {
  Fd server = loopback_socket(SOCK_DGRAM);
  SyslogTarget target;
  target.transport = SyslogTransport::udp;
  target.host = "127.0.0.1";
  target.port = bound_port(server.fd);
  SyslogSink sink(target, test_header());
  sink.write("{\"a\":\"x y\"}\n");
  EXPECT_EQ(msg_of(receive_datagram(server.fd)), "{\"a\":\"x y\"}");
}

// Reads from a stream until `want` bytes came or 2 s passed.
std::string read_stream(int fd, size_t want) {
  std::string out;
  char buf[4096];
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(SyslogSinkTest, TcpUsesOctetCountingAndReconnectsAfterTheServerClosed) {
  Fd listener = loopback_socket(SOCK_STREAM);
  SyslogTarget target;
  target.transport = SyslogTransport::tcp;
  target.host = "127.0.0.1";
  target.port = bound_port(listener.fd);
  SyslogSink sink(target, test_header());
  sink.write("{\"n\":1}\n{\"n\":22}\n");
  std::string expected;
  append_octet_counted(expected, format_syslog_message(test_header(), {}, "{\"n\":1}"));
  {
    Fd conn(accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_GE(conn.fd, 0);
    // Both frames: "LEN SP MSG" twice; the timestamps differ from the
    // reference, their length does not.
    const std::string got = read_stream(conn.fd, 2 * expected.size() + 1);
    const size_t space = got.find(' ');
    ASSERT_NE(space, std::string::npos) << got;
    const size_t len = std::stoul(got.substr(0, space));
    EXPECT_EQ(msg_of(got.substr(space + 1, len)), "{\"n\":1}");
    const std::string rest = got.substr(space + 1 + len);
    const size_t space2 = rest.find(' ');
    ASSERT_NE(space2, std::string::npos) << rest;
    EXPECT_EQ(std::stoul(rest.substr(0, space2)), rest.size() - space2 - 1) << rest;
    EXPECT_EQ(msg_of(rest.substr(space2 + 1)), "{\"n\":22}");
  }  // the server closes the connection
  // Writes into the closed connection fail (maybe only the second one: the
  // first may still be accepted by the kernel before the RST comes back);
  // the sink counts what it lost, waits its backoff, and connects again.
  for (int i = 0; i < 3 && sink.events_dropped() == 0; ++i) {
    sink.write("{\"lost\":true}\n");
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(sink.events_dropped(), 0u);
  std::this_thread::sleep_for(300ms);  // past the first backoff (100 ms)
  sink.write("{\"n\":3}\n");
  Fd again(accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_GE(again.fd, 0);
  const std::string got = read_stream(again.fd, 1);
  const size_t space = got.find(' ');
  ASSERT_NE(space, std::string::npos) << got;
  EXPECT_EQ(msg_of(got.substr(space + 1)), "{\"n\":3}");
}

TEST(SyslogSinkTest, NoServerCostsCountedMessagesNotTheSink) {
  Fd listener = loopback_socket(SOCK_STREAM);
  const uint16_t port = bound_port(listener.fd);
  close(listener.fd);  // nothing listens there now
  listener.fd = -1;
  SyslogTarget target;
  target.transport = SyslogTransport::tcp;
  target.host = "127.0.0.1";
  target.port = port;
  SyslogSink sink(target, test_header());
  sink.write("{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(sink.events_dropped(), 2u);
  EXPECT_EQ(sink.last_send_error(), ECONNREFUSED);
  EXPECT_FALSE(sink.broken());
}

}  // namespace
}  // namespace procflow
