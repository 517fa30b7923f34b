// Reading and caching of per-mount-namespace passwd files for UserResolver.
#include "enrich/user_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <utility>

#include "util/hash_mix.h"

namespace procflow {
namespace {

// A passwd file bigger than this is not a real one; read only its start.
constexpr size_t kMaxPasswdBytes = 4 << 20;
// Names longer than this are not names any tool would create.
constexpr size_t kMaxNameBytes = 256;
// Bound on cached namespaces in case forget() is never called.
constexpr size_t kMaxNamespaces = 4096;
// Bound on the names kept per program.
constexpr size_t kMaxAnswers = 65536;

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

uint64_t boot_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The namespace inode behind a /proc namespace link, read relative to `dir`.
std::optional<uint64_t> ns_inode(int dir, const char* link) {
  char buf[64];
  const ssize_t n = ::readlinkat(dir, link, buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return std::nullopt;
  return UserResolver::parse_ns_link(std::string_view(buf, static_cast<size_t>(n)));
}

}  // namespace

UserResolver::UserResolver(std::string proc_root, std::string host_passwd,
                           Clock::duration reread_interval)
    : proc_root_(std::move(proc_root)),
      host_passwd_(std::move(host_passwd)),
      reread_interval_(reread_interval) {
  Fd proc(::open(proc_root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (proc.get() >= 0) own_mntns_ = ns_inode(proc.get(), "self/ns/mnt").value_or(0);
}

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

std::optional<uint64_t> UserResolver::parse_ns_link(std::string_view text) {
  constexpr std::string_view prefix = "mnt:[";
  if (!text.starts_with(prefix) || !text.ends_with(']')) return std::nullopt;
  const std::string_view digits = text.substr(prefix.size(), text.size() - prefix.size() - 1);
  uint64_t inode = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || inode == 0)
    return std::nullopt;
  return inode;
}

bool UserResolver::stale(Clock::time_point at, Clock::time_point now) const {
  return now - at >= reread_interval_;
}

void UserResolver::load_host(HostTable& table) {
  table.loaded = true;
  table.loaded_at = Clock::now();
  // An unreadable host file keeps what was known before.
  if (auto text = read_file(host_passwd_)) table.users = parse_passwd(*text);
}

std::string UserResolver::from_host(uint32_t uid, Clock::time_point now) {
  if (!host_.loaded || (!host_.users.contains(uid) && stale(host_.loaded_at, now)))
    load_host(host_);
  auto it = host_.users.find(uid);
  return it == host_.users.end() ? std::string() : it->second;
}

UserResolver::Namespace& UserResolver::namespace_of(uint64_t mntns) {
  auto found = by_mntns_.find(mntns);
  if (found != by_mntns_.end()) return found->second;
  // Bound in case forget() is never called.
  if (by_mntns_.size() >= kMaxNamespaces) by_mntns_.clear();
  return by_mntns_[mntns];
}

void UserResolver::add_member(Namespace& ns, uint32_t pid) {
  if (pid == 0) return;
  auto end = std::remove(ns.members.begin(), ns.members.end(), pid);
  std::fill(end, ns.members.end(), 0u);
  std::rotate(ns.members.begin(), ns.members.end() - 1, ns.members.end());
  ns.members.front() = pid;
}

UserResolver::Visit UserResolver::visit(Namespace& ns, uint64_t mntns, uint32_t pid) {
  // Everything through one /proc/<pid> descriptor: if the pid is reused
  // meanwhile, the descriptor still names the process that was checked.
  const std::string dir_path = proc_root_ + "/" + std::to_string(pid);
  Fd dir(::open(dir_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ns_inode(dir.get(), "ns/mnt") != mntns) return Visit::unreachable;
  Fd root(::openat(dir.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return Visit::unreachable;
  // Taken before the read: the file is at least this recent.
  const uint64_t checked = boot_now_ns();

  UidMap uid_map;
  Fd map_fd(::openat(dir.get(), "uid_map", kOpenFlags));
  if (map_fd.get() >= 0) {
    if (auto text = read_capped(map_fd.get())) uid_map = UidMap::parse(*text).value_or(UidMap());
  }

  // A root without a (regular) passwd file, as in distroless images: the
  // process itself could not name any uid either.
  Fd passwd_fd(open_in_root(root.get()));
  FileId id;
  struct stat st = {};
  if (passwd_fd.get() >= 0 && ::fstat(passwd_fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<uint64_t>(st.st_size),
          static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ull +
              static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  }
  if (!ns.loaded || id != ns.passwd) {
    std::optional<std::string> text;
    if (id != FileId{}) text = read_capped(passwd_fd.get());
    ns.users = text ? parse_passwd(*text) : std::unordered_map<uint32_t, std::string>{};
  }
  ns.uid_map = std::move(uid_map);
  ns.passwd = id;
  ns.loaded = true;
  ns.checked_boot_ns = checked;
  ns.checked_event = ns.newest_event;
  return Visit::read;
}

bool UserResolver::refresh(Namespace& ns, uint64_t mntns, uint32_t pid) {
  ns.checked_at = Clock::now();
  if (visit(ns, mntns, pid) == Visit::read) {
    ns.failed_pid = 0;
    return true;
  }
  // Gone (or its pid reused): the other members it was seen with.
  for (uint32_t& member : ns.members) {
    if (member == 0 || member == pid) continue;
    if (visit(ns, mntns, member) == Visit::read) {
      ns.failed_pid = 0;
      return true;
    }
    member = 0;  // no way in any more
  }
  ns.failed_pid = pid;
  return false;
}

size_t UserResolver::AnswerHash::operator()(const AnswerKey& k) const {
  return hash_mix(k.mntns ^ hash_mix(k.program_ns ^ hash_mix((uint64_t{k.pid} << 32) | k.uid)));
}

bool UserResolver::seen_by(const Namespace& ns, const ProgramStart& program, uint64_t exited_ns) {
  if (!ns.loaded) return false;
  // After the process exited its namespace may be gone, and its inode the
  // next namespace's: only a read while it ran is surely of its namespace.
  if (exited_ns != 0 && ns.checked_boot_ns > exited_ns) return false;
  if (ns.checked_boot_ns >= program.boot_ns) return true;
  return program.mnt_event && ns.checked_event && *program.mnt_event == *ns.checked_event;
}

std::string UserResolver::lookup(uint32_t uid, uint32_t pid, uint64_t mntns,
                                 const ProgramStart& program, uint64_t exited_ns) {
  const Clock::time_point now = Clock::now();
  if (mntns == 0) return {};  // which root the process sees is unknown
  if (mntns == own_mntns_) return from_host(uid, now);

  const AnswerKey key{mntns, program.boot_ns, pid, uid};
  if (auto answer = answers_.find(key); answer != answers_.end()) return answer->second;

  Namespace& ns = namespace_of(mntns);
  add_member(ns, pid);
  const std::optional<uint32_t> inside = ns.uid_map.to_inside(uid);
  const bool missing = ns.loaded && (!inside || !ns.users.contains(*inside));
  const bool failed_lately = ns.failed_pid == pid && !stale(ns.checked_at, now);
  const bool gone = exited_ns != 0;
  if (!gone && !failed_lately &&
      (!seen_by(ns, program, exited_ns) || (missing && stale(ns.checked_at, now))))
    refresh(ns, mntns, pid);

  // Never the host's table: the same number may be someone else there.
  if (!seen_by(ns, program, exited_ns)) return {};
  const std::optional<uint32_t> seen_as = ns.uid_map.to_inside(uid);
  if (!seen_as) return {};
  auto it = ns.users.find(*seen_as);
  if (it == ns.users.end()) return {};
  if (answers_.size() >= kMaxAnswers) answers_.clear();
  answers_.emplace(key, it->second);
  return it->second;
}

std::string UserResolver::name(uint32_t uid, uint32_t pid, uint64_t mntns,
                               const ProgramStart& program, uint64_t exited_ns) {
  std::lock_guard lock(mu_);
  return lookup(uid, pid, mntns, program, exited_ns);
}

void UserResolver::on_exec(uint32_t uid, uint32_t pid, uint64_t mntns,
                           const ProgramStart& program) {
  std::lock_guard lock(mu_);
  if (mntns != 0 && mntns != own_mntns_ && program.mnt_event) {
    Namespace& ns = namespace_of(mntns);
    // The kernel's sequence only grows; records of two CPUs may cross.
    ns.newest_event = std::max(ns.newest_event.value_or(0), *program.mnt_event);
  }
  lookup(uid, pid, mntns, program, 0);
}

void UserResolver::remember(uint64_t mntns, uint32_t pid) {
  std::lock_guard lock(mu_);
  if (mntns == 0 || mntns == own_mntns_) return;
  add_member(namespace_of(mntns), pid);
}

size_t UserResolver::namespaces_cached() const {
  std::lock_guard lock(mu_);
  return by_mntns_.size();
}

size_t UserResolver::answers_cached() const {
  std::lock_guard lock(mu_);
  return answers_.size();
}

void UserResolver::forget_processes(const std::vector<GoneProcess>& gone) {
  if (gone.empty()) return;
  std::unordered_map<uint32_t, uint64_t> exited;  // pid -> when
  for (const GoneProcess& p : gone) exited[p.pid] = std::max(exited[p.pid], p.exited_ns);
  std::lock_guard lock(mu_);
  // Its programs began before it exited; a later process with its pid after.
  std::erase_if(answers_, [&](const auto& answer) {
    auto it = exited.find(answer.first.pid);
    return it != exited.end() && answer.first.program_ns <= it->second;
  });
  for (auto it = by_mntns_.begin(); it != by_mntns_.end();) {
    // The members left keep their order (newest first), free slots last.
    auto& members = it->second.members;
    auto end = std::remove_if(members.begin(), members.end(),
                              [&](uint32_t pid) { return pid == 0 || exited.contains(pid); });
    std::fill(end, members.end(), 0u);
    it = end != members.begin() ? std::next(it) : by_mntns_.erase(it);
  }
}

void UserResolver::forget(uint64_t mntns) {
  std::lock_guard lock(mu_);
  by_mntns_.erase(mntns);
  std::erase_if(answers_, [&](const auto& answer) { return answer.first.mntns == mntns; });
}

}  // namespace procflow
