// Syslog transports (see syslog_sink.h).
#include "output/syslog_sink.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace procflow {
namespace {

using namespace std::chrono_literals;

constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 10s;
constexpr auto kConnectTimeout = 2s;
constexpr timeval kSendTimeout{5, 0};  // a stuck receiver costs messages, not the thread

// A connected unix socket of `type` to `path`, or -1 with errno set.
int connect_unix(const std::string& path, int type) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// connect() that gives up after kConnectTimeout; true when connected.
bool connect_with_timeout(int fd, const sockaddr* addr, socklen_t len) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  bool ok = ::connect(fd, addr, len) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(kConnectTimeout / 1ms));
    int so_error = ETIMEDOUT;
    socklen_t so_len = sizeof so_error;
    if (ready == 1) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    ok = so_error == 0;
    errno = so_error;
  }
  const int saved = errno;
  ::fcntl(fd, F_SETFL, flags);
  errno = saved;
  return ok;
}

// A socket of `type` connected to the first address of host:port that
// accepts, or -1 with errno set.
int connect_inet(const std::string& host, uint16_t port, int type) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    errno = EHOSTUNREACH;
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = found; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (!connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen)) {
      const int saved = errno;
      ::close(fd);
      fd = -1;
      errno = saved;
    }
  }
  const int saved = errno;
  ::freeaddrinfo(found);
  errno = saved;
  return fd;
}

std::string own_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

}  // namespace

SyslogSink::SyslogSink(SyslogTarget target, SyslogHeader header)
    : target_(std::move(target)), header_(std::move(header)) {
  if (header_.hostname.empty()) header_.hostname = own_hostname();
  if (header_.procid.empty()) header_.procid = std::to_string(::getpid());
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogSink::connected() {
  if (fd_ >= 0) return true;
  if (Clock::now() < next_attempt_) return false;
  switch (target_.transport) {
    case SyslogTransport::local:
      stream_ = false;
      fd_ = connect_unix(target_.socket_path, SOCK_DGRAM);
      if (fd_ < 0 && errno == EPROTOTYPE) {
        stream_ = true;
        fd_ = connect_unix(target_.socket_path, SOCK_STREAM);
      }
      break;
    case SyslogTransport::udp:
      stream_ = false;
      fd_ = connect_inet(target_.host, target_.port, SOCK_DGRAM);
      break;
    case SyslogTransport::tcp:
      stream_ = true;
      fd_ = connect_inet(target_.host, target_.port, SOCK_STREAM);
      break;
  }
  if (fd_ < 0) {
    disconnect(errno);
    return false;
  }
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
  backoff_ = 0ms;
  return true;
}

void SyslogSink::disconnect(int error) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  last_send_error_ = error;
  backoff_ = backoff_ == 0ms ? std::chrono::milliseconds(kFirstBackoff)
                             : std::min<std::chrono::milliseconds>(backoff_ * 2, kMaxBackoff);
  next_attempt_ = Clock::now() + backoff_;
}

void SyslogSink::write(std::string_view lines) {
  const auto now = std::chrono::system_clock::now();
  std::string frames;
  std::vector<size_t> ends;
  const bool framed_stream = target_.transport != SyslogTransport::udp && connected() && stream_;
  while (!lines.empty()) {
    const size_t newline = lines.find('\n');
    const std::string_view line = lines.substr(0, newline);
    lines = newline == std::string_view::npos ? std::string_view() : lines.substr(newline + 1);
    if (line.empty()) continue;
    std::string message = format_syslog_message(header_, now, line);
    if (!framed_stream) {
      send_datagram(message);
      continue;
    }
    if (target_.transport == SyslogTransport::tcp) {
      append_octet_counted(frames, message);
    } else {
      frames += message;
      frames.push_back('\0');  // a local stream socket: NUL-terminated, as syslog(3)
    }
    ends.push_back(frames.size());
  }
  if (!ends.empty()) send_stream(frames, ends);
}

void SyslogSink::send_datagram(std::string_view message) {
  if (!connected()) {
    dropped_++;
    return;
  }
  ssize_t n;
  do {
    n = ::send(fd_, message.data(), message.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(message.size())) {
    bytes_written_ += message.size();
    return;
  }
  dropped_++;
  last_send_error_ = n < 0 ? errno : EMSGSIZE;
  // UDP: an ICMP error from an earlier datagram; the socket stays usable.
  // Local: the daemon went away or restarted with a new socket: connect again.
  if (target_.transport == SyslogTransport::local && n < 0 && errno != EMSGSIZE && errno != ENOBUFS)
    disconnect(errno);
}

void SyslogSink::send_stream(const std::string& frames, const std::vector<size_t>& ends) {
  size_t sent = 0;
  if (connected()) {
    while (sent < frames.size()) {
      const ssize_t n = ::send(fd_, frames.data() + sent, frames.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // The receiver has a partial frame at most; a new connection starts clean.
      disconnect(n < 0 ? errno : EIO);
      break;
    }
  }
  bytes_written_ += sent;
  // Messages that did not go out whole are lost.
  const auto whole = std::upper_bound(ends.begin(), ends.end(), sent);
  dropped_ += static_cast<uint64_t>(ends.end() - whole);
}

}  // namespace procflow
