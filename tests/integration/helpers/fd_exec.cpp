// Integration-test helper: the fileless-malware launch. It forks a child that
// runs PROGRAM from a file descriptor with fexecve(), never from a path:
//
//   fd_exec memfd NAME ENV PROGRAM [ARGS...]
//     the child copies PROGRAM into memfd_create(NAME): /proc/PID/exe is
//     "/memfd:NAME (deleted)"
//   fd_exec unlinked PATH ENV PROGRAM [ARGS...]
//     the child copies PROGRAM to PATH, opens it, unlinks it: /proc/PID/exe
//     is "PATH (deleted)"
//
// ENV is "empty" (the child gets no environment at all) or "keep". The
// parent waits and exits with the child's status; the child's pid is its
// own to report (quick_connect --delay-ms prints it).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

extern char** environ;

namespace {

int usage() {
  std::fprintf(stderr, "usage: fd_exec memfd|unlinked NAME|PATH empty|keep PROGRAM [ARGS...]\n");
  return 2;
}

bool copy_file(const char* from, int to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  char buf[65536];
  ssize_t n;
  bool ok = true;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(to, buf + done, static_cast<size_t>(n - done));
      if (w <= 0) {
        ok = false;
        break;
      }
      done += w;
    }
  }
  close(in);
  return ok && n == 0;
}

// An executable descriptor holding PROGRAM, reachable by no path; -1 on error.
int program_fd(const std::string& mode, const char* name, const char* program) {
  if (mode == "memfd") {
    int fd = memfd_create(name, 0);
    if (fd < 0 || !copy_file(program, fd)) return -1;
    return fd;
  }
  int out = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0 || !copy_file(program, out)) return -1;
  close(out);  // a file open for writing cannot be executed (ETXTBSY)
  int fd = open(name, O_RDONLY);
  if (fd < 0 || unlink(name) != 0) return -1;
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  const std::string mode = argv[1], env = argv[3];
  if ((mode != "memfd" && mode != "unlinked") || (env != "empty" && env != "keep")) return usage();

  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    int fd = program_fd(mode, argv[2], argv[4]);
    if (fd < 0) {
      std::fprintf(stderr, "fd_exec: %s: %s\n", argv[4], std::strerror(errno));
      _exit(1);
    }
    char* no_environment[] = {nullptr};
    fexecve(fd, argv + 4, env == "empty" ? no_environment : environ);
    std::fprintf(stderr, "fd_exec: fexecve: %s\n", std::strerror(errno));
    _exit(1);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
