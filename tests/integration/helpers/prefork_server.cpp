// Integration-test helper: a pre-forking TCP server (the Apache/nginx model).
// The parent creates the listening socket and forks WORKERS children; only the
// children accept, so a tracer that credits inbound flows to the listener's
// owner instead of the accepting worker is caught. The parent never touches an
// accepted socket.
//
//   prefork_server IP PORT WORKERS REPLY_BYTES [--echo | --echo-close N]
//   parent, once every worker is ready:  {"listening":true,"pid":..,"port":..}
//   each worker, per connection, when it accepts and when it is done:
//     {"accepted":true,"worker_pid":..,"parent_pid":..,"peer_port":..}
//     {"worker_pid":..,"parent_pid":..,"peer_port":..,"received":..,"sent":..}
// Each connection: read until EOF, write REPLY_BYTES, close. With --echo
// (for tcp_client --rounds): TCP_NODELAY, every read is written straight back
// until EOF, then REPLY_BYTES, all in writes smaller than one MSS, so that
// every write is a packet of its own; "sent" counts the echoes too. With
// --echo-close N (for port_reuse_client --server-closes): the same, but once
// N bytes have come the worker writes REPLY_BYTES and closes without waiting
// for EOF, so the server closes first and the TIME_WAIT is the server's.
// SIGTERM/SIGINT to the parent stops the workers and exits 0.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <vector>

#include "socket_util.h"

namespace {

// --echo: writes back what arrives until EOF (or, with `limit` >= 0, until
// `limit` bytes have come); returns the bytes received.
long echo_until_eof(int fd, long& sent, long limit = -1) {
  char chunk[pf_helper::kSmallWrite];
  long received = 0;
  while (limit < 0 || received < limit) {
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received += n;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = send(fd, chunk + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return received;
      done += w;
      sent += w;
    }
  }
  return received;
}

[[noreturn]] void worker_loop(int listen_fd, pid_t parent, int ready_fd, long reply_bytes,
                              bool echo, long close_after) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  char one = 1;
  if (write(ready_fd, &one, 1) != 1) _exit(1);
  close(ready_fd);
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      _exit(1);
    }
    pf_helper::emit_line(R"({"accepted":true,"worker_pid":%d,"parent_pid":%d,"peer_port":%d})",
                         getpid(), parent, pf_helper::port_of(peer));
    long received = 0;
    long sent = 0;
    if (echo) {
      pf_helper::set_nodelay(fd);
      received = echo_until_eof(fd, sent, close_after);
      sent += pf_helper::send_pattern(fd, reply_bytes, pf_helper::kSmallWrite);
    } else {
      received = pf_helper::drain(fd);
      sent = pf_helper::send_pattern(fd, reply_bytes);
    }
    close(fd);
    pf_helper::emit_line(
        R"({"worker_pid":%d,"parent_pid":%d,"peer_port":%d,"received":%ld,"sent":%ld})", getpid(),
        parent, pf_helper::port_of(peer), received, sent);
  }
}

int open_listener(const pf_helper::Endpoint& local) {
  int fd = socket(local.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) != 0 ||
      listen(fd, 128) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void stop_workers(const std::vector<pid_t>& workers) {
  for (pid_t w : workers) kill(w, SIGTERM);
  for (pid_t w : workers) waitpid(w, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  pf_helper::Endpoint local;
  bool echo = argc == 6 && std::strcmp(argv[5], "--echo") == 0;
  bool echo_close = argc == 7 && std::strcmp(argv[5], "--echo-close") == 0;
  if ((argc != 5 && !echo && !echo_close) || !pf_helper::parse_endpoint(argv[1], argv[2], local)) {
    std::fprintf(stderr,
                 "usage: prefork_server IP PORT WORKERS REPLY_BYTES [--echo | --echo-close N]\n");
    return 2;
  }
  long close_after = echo_close ? pf_helper::parse_count(argv[6], "--echo-close") : -1;
  echo = echo || echo_close;
  long worker_count = pf_helper::parse_count(argv[3], "WORKERS");
  long reply_bytes = pf_helper::parse_count(argv[4], "REPLY_BYTES");
  if (worker_count < 1) worker_count = 1;

  // The parent takes its signals synchronously (sigwaitinfo below), so they
  // stay blocked from the start; workers restore the original mask.
  sigset_t wait_set, old_set;
  sigemptyset(&wait_set);
  sigaddset(&wait_set, SIGTERM);
  sigaddset(&wait_set, SIGINT);
  sigaddset(&wait_set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &wait_set, &old_set);
  signal(SIGPIPE, SIG_IGN);
  // A test run that dies without its destructors (SIGKILL, SIGPIPE) must not
  // leave the server listening: a later test that gets the same subnet could
  // not bind. The SIGTERM is taken like any other stop request.
  pid_t spawner = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != spawner) return 1;

  int listen_fd = open_listener(local);
  if (listen_fd < 0) {
    std::fprintf(stderr, "prefork_server: listen on %s:%s: %s\n", argv[1], argv[2],
                 std::strerror(errno));
    return 1;
  }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return 1;

  pid_t parent = getpid();
  std::vector<pid_t> workers;
  for (long i = 0; i < worker_count; ++i) {
    pid_t child = fork();
    if (child == 0) {
      sigprocmask(SIG_SETMASK, &old_set, nullptr);
      close(ready[0]);
      worker_loop(listen_fd, parent, ready[1], reply_bytes, echo, close_after);
    }
    if (child < 0) {
      stop_workers(workers);
      return 1;
    }
    workers.push_back(child);
  }
  close(ready[1]);
  for (long seen = 0; seen < worker_count;) {
    char byte;
    ssize_t n = read(ready[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      stop_workers(workers);
      return 1;
    }
    ++seen;
  }
  close(ready[0]);
  pf_helper::emit_line(R"({"listening":true,"pid":%d,"port":%d})", parent,
                       pf_helper::local_port(listen_fd));

  // The parent keeps the listener open (as real pre-forking servers do) but
  // only waits: for a stop signal, or for a worker to die unexpectedly.
  for (;;) {
    int sig = sigwaitinfo(&wait_set, nullptr);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig != SIGCHLD) continue;
    pid_t gone;
    while ((gone = waitpid(-1, nullptr, WNOHANG)) > 0) {
      std::fprintf(stderr, "prefork_server: worker %d exited unexpectedly\n", gone);
      std::erase(workers, gone);
    }
    if (workers.empty()) return 1;
  }
  stop_workers(workers);
  close(listen_fd);
  return 0;
}
