// Shared by the integration-test helper programs (tcp_client, prefork_server,
// quick_connect, udp_peer, dns_peer): turning an IPv4/IPv6 literal into a socket address and
// printing one ground-truth JSON line, so each helper stays about its one job.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pf_helper {

// A socket address parsed from a numeric IP literal and a port.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};

// Parses "10.0.0.1" or "fd00::1" plus a port; returns false on anything else.
inline bool parse_endpoint(const char* ip, const char* port_text, Endpoint& out) {
  char* end = nullptr;
  long port = std::strtol(port_text, &end, 10);
  if (end == port_text || *end != '\0' || port < 0 || port > 65535) return false;
  out = Endpoint{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in);
    out.family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return true;
  }
  return false;
}

// Port of a sockaddr_in/sockaddr_in6, host byte order.
inline int port_of(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return 0;
}

// Numeric text of the address in a sockaddr_in/sockaddr_in6 ("" for others).
inline std::string address_of(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof(text));
  }
  return text;
}

// Local port the kernel bound the socket to (0 when it is not bound).
inline int local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return port_of(addr);
}

// Parses a non-negative integer argument or exits with a usage error.
inline long parse_count(const char* text, const char* what) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0) {
    std::fprintf(stderr, "invalid %s: %s\n", what, text);
    std::exit(2);
  }
  return value;
}

// Writes one printf-formatted line to stdout with a single write(2), so lines
// from several processes sharing the pipe never interleave (< PIPE_BUF).
inline void emit_line(const char* format, ...) __attribute__((format(printf, 1, 2)));
inline void emit_line(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buffer, sizeof(buffer) - 1, format, args);
  va_end(args);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof(buffer)) - 2) n = sizeof(buffer) - 2;
  buffer[n++] = '\n';
  const char* p = buffer;
  while (n > 0) {
    ssize_t w = write(STDOUT_FILENO, p, static_cast<size_t>(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<int>(w);
  }
}

// Sends exactly `count` bytes of a fixed pattern, in writes of at most
// `write_size` bytes (at most 4096); returns the bytes sent.
inline long send_pattern(int fd, long count, long write_size = 4096) {
  char chunk[4096];
  for (size_t i = 0; i < sizeof(chunk); ++i) chunk[i] = static_cast<char>('a' + i % 26);
  write_size = std::clamp<long>(write_size, 1, sizeof(chunk));
  long sent = 0;
  while (sent < count) {
    size_t want = static_cast<size_t>(std::min<long>(count - sent, write_size));
    ssize_t n = send(fd, chunk, want, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += n;
  }
  return sent;
}

// Writes that must each leave as one segment of their own (tests that count
// packets): no Nagle coalescing, and each write smaller than one MSS.
inline constexpr long kSmallWrite = 1000;
inline void set_nodelay(int fd) {
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

// Reads exactly `count` bytes; returns the bytes read (fewer on EOF or error).
inline long recv_exact(int fd, long count) {
  char chunk[4096];
  long received = 0;
  while (received < count) {
    size_t want = static_cast<size_t>(std::min<long>(count - received, sizeof(chunk)));
    ssize_t n = recv(fd, chunk, want, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received += n;
  }
  return received;
}

// Reads until EOF (or an error); returns the bytes received.
inline long drain(int fd) {
  char chunk[4096];
  long received = 0;
  for (;;) {
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received += n;
  }
  return received;
}

}  // namespace pf_helper
