// Integration-test helper: the short-lived client. It connects, sends one
// byte, closes and exits at once, so the process is gone long before the
// tracer could read /proc; procflow must still name it exactly.
//
//   quick_connect IP PORT  ->  {"pid":..,"local_port":..}   exit 0
#include "socket_util.h"

int main(int argc, char** argv) {
  pf_helper::Endpoint peer;
  if (argc != 3 || !pf_helper::parse_endpoint(argv[1], argv[2], peer)) {
    std::fprintf(stderr, "usage: quick_connect IP PORT\n");
    return 2;
  }
  int fd = socket(peer.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len) != 0) {
    std::fprintf(stderr, "quick_connect: connect: %s\n", std::strerror(errno));
    return 1;
  }
  int port = pf_helper::local_port(fd);
  long sent = pf_helper::send_pattern(fd, 1);
  close(fd);
  pf_helper::emit_line(R"({"pid":%d,"local_port":%d})", getpid(), port);
  return sent == 1 ? 0 : 1;
}
