// Reading and caching of per-mount-namespace passwd files for UserResolver.
#include "enrich/user_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <utility>

namespace procflow {
namespace {

// A passwd file bigger than this is not a real one; read only its start.
constexpr size_t kMaxPasswdBytes = 4 << 20;
// Names longer than this are not names any tool would create.
constexpr size_t kMaxNameBytes = 256;
// Bound on cached namespaces in case forget() is never called.
constexpr size_t kMaxNamespaces = 4096;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Files are opened non-blocking and only regular ones are read: a container
// could make its /etc/passwd a FIFO or a device to stall or flood the tracer.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// Reads at most kMaxPasswdBytes of a regular file. A line cut off at the cap
// cannot yield a wrong uid: the parser needs the ':' that ends the uid field.
std::optional<std::string> read_capped(int fd) {
  struct stat st = {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text;
  char buf[16384];
  while (text.size() < kMaxPasswdBytes) {
    const size_t want = std::min(sizeof buf, kMaxPasswdBytes - text.size());
    const ssize_t n = ::read(fd, buf, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::optional<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), kOpenFlags));
  if (fd.get() < 0) return std::nullopt;
  return read_capped(fd.get());
}

// Opens etc/passwd inside `root_fd` with absolute symlinks resolved against
// that root, as the process would see them: a container's /etc/passwd that
// links to "/usr/lib/passwd" must not escape to the host's /usr/lib/passwd.
int open_in_root(int root_fd) {
  struct open_how how = {};
  how.flags = kOpenFlags;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, root_fd, "etc/passwd", &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
  // Kernels before 5.6 (or seccomp filters that hide openat2): plain lookup.
  return ::openat(root_fd, "etc/passwd", kOpenFlags);
}

}  // namespace

UserResolver::UserResolver(std::string proc_root, std::string host_passwd,
                           Clock::duration reread_interval)
    : proc_root_(std::move(proc_root)),
      host_passwd_(std::move(host_passwd)),
      reread_interval_(reread_interval) {}

std::unordered_map<uint32_t, std::string> UserResolver::parse_passwd(std::string_view text) {
  std::unordered_map<uint32_t, std::string> users;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;

    const size_t c1 = line.find(':');
    if (c1 == std::string_view::npos || c1 == 0 || c1 > kMaxNameBytes) continue;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const size_t c3 = line.find(':', c2 + 1);
    // "name:passwd:uid" must be followed by at least the gid field.
    if (c3 == std::string_view::npos) continue;
    const std::string_view uid_text = line.substr(c2 + 1, c3 - c2 - 1);
    uint32_t uid = 0;
    const char* end = uid_text.data() + uid_text.size();
    const auto [ptr, ec] = std::from_chars(uid_text.data(), end, uid);
    if (uid_text.empty() || ec != std::errc() || ptr != end) continue;
    users.try_emplace(uid, line.substr(0, c1));
  }
  return users;
}

bool UserResolver::stale(const Table& table, Clock::time_point now) const {
  return now - table.loaded_at >= reread_interval_;
}

void UserResolver::load_host(Table& table) {
  table.loaded = true;
  table.loaded_at = Clock::now();
  table.from_host = true;
  // An unreadable host file keeps what was known before.
  if (auto text = read_file(host_passwd_)) table.users = parse_passwd(*text);
}

void UserResolver::load_namespace(Table& table, uint32_t pid) {
  const std::string root = proc_root_ + "/" + std::to_string(pid) + "/root";
  Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) {
    // The process is gone (or hidden from us). Its namespace may have been
    // read before; otherwise the host's users are the best guess.
    if (!table.loaded || table.from_host) {
      if (!host_.loaded) load_host(host_);
      table.users.clear();
      table.from_host = true;  // answered from host_, which has its own refresh
    }
    table.loaded = true;
    table.loaded_at = Clock::now();
    return;
  }
  table.loaded = true;
  table.loaded_at = Clock::now();
  table.from_host = false;
  // A root without a (regular) passwd file, as in distroless images: the
  // process itself could not name any uid either.
  Fd passwd_fd(open_in_root(root_fd.get()));
  std::optional<std::string> text;
  if (passwd_fd.get() >= 0) text = read_capped(passwd_fd.get());
  table.users = text ? parse_passwd(*text) : std::unordered_map<uint32_t, std::string>{};
}

std::string UserResolver::name(uint32_t uid, uint32_t pid, uint64_t mntns) {
  std::lock_guard lock(mu_);
  const Clock::time_point now = Clock::now();

  auto from_host = [&]() -> std::string {
    if (!host_.loaded || (!host_.users.contains(uid) && stale(host_, now))) load_host(host_);
    auto it = host_.users.find(uid);
    return it == host_.users.end() ? std::string() : it->second;
  };
  if (mntns == 0) return from_host();

  auto found = by_mntns_.find(mntns);
  if (found == by_mntns_.end()) {
    if (by_mntns_.size() >= kMaxNamespaces) by_mntns_.clear();
    found = by_mntns_.try_emplace(mntns).first;
    load_namespace(found->second, pid);
  } else {
    Table& table = found->second;
    // A host-file stand-in is retried like a miss: the namespace may be
    // readable through a live process now.
    if ((table.from_host || !table.users.contains(uid)) && stale(table, now)) {
      load_namespace(table, pid);
    }
  }
  if (found->second.from_host) return from_host();
  const auto& users = found->second.users;
  auto it = users.find(uid);
  return it == users.end() ? std::string() : it->second;
}

void UserResolver::forget(uint64_t mntns) {
  std::lock_guard lock(mu_);
  by_mntns_.erase(mntns);
}

}  // namespace procflow
