#include "run_binary.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace procflow {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, int error) {
  throw std::runtime_error(what + ": " + std::strerror(error));
}

// Reads both pipes until both reach EOF or `until` passes; false on the deadline.
bool drain(Fd& out_fd, std::string& out, Fd& err_fd, std::string& err, Clock::time_point until) {
  while (out_fd.get() >= 0 || err_fd.get() >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) fail("poll", errno);
    Fd* owners[2] = {&out_fd, &err_fd};
    std::string* sinks[2] = {&out, &err};
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0)
        sinks[i]->append(buffer, static_cast<size_t>(got));
      else if (got == 0 || errno != EINTR)
        owners[i]->reset();
    }
  }
  return true;
}

// waitpid without blocking past `until`; 0 when the child is still running then.
pid_t reap(pid_t pid, int* status, Clock::time_point until) {
  while (true) {
    const pid_t done = ::waitpid(pid, status, WNOHANG);
    if (done != 0 || Clock::now() >= until) return done;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string BinaryRun::describe() const {
  std::string out_line = timed_out ? std::string("still running at the deadline")
                         : exited  ? "exit " + std::to_string(exit_status)
                                   : std::string("killed by a signal");
  return out_line + "\nstderr:\n" + err + "\nstdout:\n" + out;
}

BinaryRun run_binary(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail("pipe2", errno);
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail("pipe2", errno);
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) fail("posix_spawn " + argv[0], spawned);
  out_write.reset();
  err_write.reset();

  BinaryRun run;
  const auto until = Clock::now() + deadline;
  const bool drained = drain(out_read, run.out, err_read, run.err, until);
  int status = 0;
  pid_t done = drained ? reap(pid, &status, until) : 0;
  if (done == 0) {
    // Overdue: most likely a bad argument was accepted and it is tracing. SIGTERM first, so it
    // detaches its programs cleanly; SIGKILL if that does not end it.
    run.timed_out = true;
    ::kill(-pid, SIGTERM);
    done = reap(pid, &status, Clock::now() + std::chrono::seconds(10));
    if (done == 0) {
      ::kill(-pid, SIGKILL);
      done = ::waitpid(pid, &status, 0);
    }
  }
  if (done == pid && WIFEXITED(status)) {
    run.exited = !run.timed_out;
    run.exit_status = WEXITSTATUS(status);
  }
  return run;
}

}  // namespace procflow
