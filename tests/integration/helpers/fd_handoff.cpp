// Integration-test helper: a socket that outlives the image that opened it.
// Built twice, as `connect_then_exec` and `fd_user`, so the two images have
// different paths and names; the mode is the program's own name.
//
//   connect_then_exec IP PORT BYTES PROGRAM [ARGS...]
//     connects, sends BYTES, prints {"pid":..,"local_port":..,"fd":..}, then
//     execs PROGRAM with the socket still open (not close-on-exec) as fd 3.
//     The pid stays; the image, comm and exe change.
//   fd_user BYTES
//     sends BYTES more on fd 3 (the inherited socket), shuts down its
//     sending side, reads until the peer closes, prints
//     {"pid":..,"sent":..,"received":..} and exits.
//   any failure: {"pid":..,"error":".."} on stdout, exit 1
#include <libgen.h>

#include <string>

#include "socket_util.h"

namespace {

constexpr int kHandedFd = 3;

int fail(const char* what) {
  pf_helper::emit_line(R"({"pid":%d,"error":"%s: %s"})", getpid(), what, std::strerror(errno));
  return 1;
}

int connect_then_exec(int argc, char** argv) {
  pf_helper::Endpoint peer;
  if (argc < 5 || !pf_helper::parse_endpoint(argv[1], argv[2], peer)) {
    std::fprintf(stderr, "usage: connect_then_exec IP PORT BYTES PROGRAM [ARGS...]\n");
    return 2;
  }
  const long bytes = pf_helper::parse_count(argv[3], "BYTES");
  int fd = socket(peer.family, SOCK_STREAM, 0);  // no SOCK_CLOEXEC: it must survive exec
  if (fd < 0) return fail("socket");
  if (connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len) != 0)
    return fail("connect");
  pf_helper::set_nodelay(fd);
  if (pf_helper::send_pattern(fd, bytes) != bytes) return fail("send");
  if (fd != kHandedFd) {
    if (dup2(fd, kHandedFd) < 0) return fail("dup2");
    close(fd);
  }
  pf_helper::emit_line(R"({"pid":%d,"local_port":%d,"fd":%d})", getpid(),
                       pf_helper::local_port(kHandedFd), kHandedFd);
  execv(argv[4], argv + 4);
  return fail("execv");
}

int fd_user(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fd_user BYTES (the socket on fd 3)\n");
    return 2;
  }
  const long bytes = pf_helper::parse_count(argv[1], "BYTES");
  const long sent = pf_helper::send_pattern(kHandedFd, bytes);
  if (sent != bytes) return fail("send");
  shutdown(kHandedFd, SHUT_WR);
  const long received = pf_helper::drain(kHandedFd);
  if (received < 0) return fail("recv");
  close(kHandedFd);
  pf_helper::emit_line(R"({"pid":%d,"sent":%ld,"received":%ld})", getpid(), sent, received);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = basename(argv[0]);
  if (name == "fd_user") return fd_user(argc, argv);
  return connect_then_exec(argc, argv);
}
