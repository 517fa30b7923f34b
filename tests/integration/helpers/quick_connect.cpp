// Integration-test helper: the short-lived client. It connects, sends one
// byte, closes and exits at once, so the process is gone long before the
// tracer could read /proc; procflow must still name it exactly.
//
//   quick_connect IP PORT  ->  {"pid":..,"local_port":..}   exit 0
//   quick_connect IP PORT --delay-ms N
//     first {"waiting_pid":..}, then N ms of sleep before the same (so a test
//     can look at the running process, e.g. its /proc/PID/exe), then exits
//     as soon as it has connected
//   quick_connect IP PORT --hold FIFO
//     connects, sends one byte and prints its line as above, then opens FIFO
//     and reads it to its end before closing and exiting: the process lives
//     until the test lets it go (its /proc entry is there meanwhile), with no
//     sleep to guess the right length of
#include <fcntl.h>

#include <thread>

#include "socket_util.h"

int main(int argc, char** argv) {
  pf_helper::Endpoint peer;
  const bool delayed = argc == 5 && std::strcmp(argv[3], "--delay-ms") == 0;
  const bool held = argc == 5 && std::strcmp(argv[3], "--hold") == 0;
  if ((argc != 3 && !delayed && !held) || !pf_helper::parse_endpoint(argv[1], argv[2], peer)) {
    std::fprintf(stderr, "usage: quick_connect IP PORT [--delay-ms N | --hold FIFO]\n");
    return 2;
  }
  if (delayed) {
    const long delay_ms = pf_helper::parse_count(argv[4], "delay");
    pf_helper::emit_line(R"({"waiting_pid":%d})", getpid());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  int fd = socket(peer.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&peer.addr), peer.len) != 0) {
    std::fprintf(stderr, "quick_connect: connect: %s\n", std::strerror(errno));
    return 1;
  }
  int port = pf_helper::local_port(fd);
  long sent = pf_helper::send_pattern(fd, 1);
  if (held) {
    pf_helper::emit_line(R"({"pid":%d,"local_port":%d})", getpid(), port);
    const int fifo = open(argv[4], O_RDONLY | O_CLOEXEC);  // blocks until the test opens it
    char buf[64];
    while (fifo >= 0 && read(fifo, buf, sizeof buf) > 0) {
    }
    close(fd);
    return sent == 1 && fifo >= 0 ? 0 : 1;
  }
  close(fd);
  pf_helper::emit_line(R"({"pid":%d,"local_port":%d})", getpid(), port);
  return sent == 1 ? 0 : 1;
}
