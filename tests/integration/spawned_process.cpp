// posix_spawn-based child processes for the integration tests; see spawned_process.h.
#include "spawned_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace procflow_it {
namespace {

ExitStatus decode(int raw) {
  ExitStatus status;
  if (WIFEXITED(raw)) {
    status.exited = true;
    status.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  }
  return status;
}

// Pipes are close-on-exec so no other child inherits (and holds open) them.
void make_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
}

}  // namespace

bool pid_alive(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string ExitStatus::describe() const {
  if (exited) return "exit status " + std::to_string(code);
  return std::string("killed by signal ") + strsignal(signal);
}

SpawnedProcess::SpawnedProcess(std::vector<std::string> argv) : argv_(std::move(argv)) {
  if (argv_.empty()) throw std::invalid_argument("SpawnedProcess: empty argv");
  int out[2];
  int err[2];
  make_pipe(out);
  make_pipe(err);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGPIPE);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (auto& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  stdout_ = std::make_unique<LineCollector>(out[0]);
  stderr_ = std::make_unique<LineCollector>(err[0]);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("posix_spawn " + argv_[0] + ": " + std::strerror(rc));
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
}

SpawnedProcess::~SpawnedProcess() {
  if (pid_ > 0 && !status_) kill_group();
  if (pidfd_ >= 0) close(pidfd_);
}

std::string SpawnedProcess::command_line() const {
  std::string line;
  for (const auto& a : argv_) line += (line.empty() ? "" : " ") + a;
  return line;
}

void SpawnedProcess::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> SpawnedProcess::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int raw = 0;
  for (;;) {
    pid_t got = waitpid(pid_, &raw, WNOHANG);
    if (got == pid_) break;
    if (got < 0 && errno != EINTR) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd_ >= 0) {
      // Readable once the child has exited; no polling interval needed.
      pollfd pfd{pidfd_, POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(left, 10ms));
    }
  }
  status_ = decode(raw);
  // Output written just before the exit is still in the pipes; collect it.
  stdout_->wait_closed(2s);
  stderr_->wait_closed(2s);
  return status_;
}

void SpawnedProcess::kill_group() {
  if (pid_ <= 0 || status_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int raw = 0;
  while (waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  status_ = decode(raw);
}

std::string SpawnedProcess::describe() const {
  std::string text = "$ " + command_line() + "\n  pid " + std::to_string(pid_) + ", " +
                     (status_ ? status_->describe() : std::string("still running")) + "\n";
  text += "  --- stdout ---\n" + stdout_->text();
  text += "  --- stderr ---\n" + stderr_->text();
  return text;
}

std::string CommandResult::describe(const std::vector<std::string>& argv) const {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  return "`" + line + "` " + (status ? status->describe() : std::string("timed out")) +
         (err.empty() ? "" : ": " + err) + (out.empty() ? "" : " [stdout: " + out + "]");
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  SpawnedProcess child(argv);
  CommandResult result;
  result.pid = child.pid();
  result.status = child.wait(timeout);
  if (!result.status) child.kill_group();
  result.out = child.out().text();
  result.err = child.err().text();
  while (!result.err.empty() && result.err.back() == '\n') result.err.pop_back();
  return result;
}

}  // namespace procflow_it
