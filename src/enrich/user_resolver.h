// Maps a process's uid to a user name the way that process would see it.
// Processes in procflow's own mount namespace use procflow's /etc/passwd
// (the host's, unless procflow itself runs in a container: then the host's
// processes are another namespace, read like any other).
// Any other namespace (a container, `unshare -m`) has its own root, so its
// names come only from the passwd under that root, read through a live
// process of the namespace; when none is left, the name is unknown ("")
// rather than the host's name for the same number.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "enrich/program_start.h"
#include "enrich/uid_map.h"

namespace procflow {

class UserResolver {
 public:
  using Clock = std::chrono::steady_clock;

  // `proc_root` is where procfs is mounted (its self/ns/mnt names procflow's
  // own namespace); `host_passwd` is the passwd of that namespace. A file is
  // re-read for a missing uid at most once per `reread_interval`, and a
  // namespace that could not be read through a pid is not retried through
  // the same pid sooner than that.
  explicit UserResolver(std::string proc_root = "/proc", std::string host_passwd = "/etc/passwd",
                        Clock::duration reread_interval = std::chrono::seconds(5));

  // The name of `uid` (the kernel's, global uid) for process `pid` in mount
  // namespace `mntns`, or "" if unknown. For another namespace, what was
  // read of its passwd must be what the process's program saw:
  // - read at or after `program.boot_ns`, or with no mount change in that
  //   namespace between the read and the exec (same mount sequence): a
  //   namespace is often set up after its first process began (a passwd
  //   bind-mounted before the final exec);
  // - and not after the process exited (`exited_ns`, the exit record's
  //   time; 0: not seen): the kernel gives a gone namespace's inode to the
  //   next new one.
  // The first name found for a program is kept for it. mntns 0 (unknown)
  // gives "". Thread-safe.
  std::string name(uint32_t uid, uint32_t pid, uint64_t mntns, const ProgramStart& program = {},
                   uint64_t exited_ns = 0);
  // An exec record: `task` is a way into its namespace from now on, and the
  // namespace is read while the new program (likely) still runs.
  void on_exec(uint32_t uid, uint32_t pid, uint64_t mntns, const ProgramStart& program);
  // A process seen in `mntns` (fork records): a way into that namespace once
  // others are gone. The newest few are kept.
  void remember(uint64_t mntns, uint32_t pid);
  // Drops what is known about a mount namespace that no longer exists.
  void forget(uint64_t mntns);
  // Processes procflow no longer keeps (ProcessCache::expire): the names
  // given to their programs go, they stop being ways into their namespaces,
  // and a namespace left with no way in is forgotten (one-shot namespaces
  // such as `ip netns exec`'s would pile up otherwise). A later process of a
  // namespace that still exists makes it be read again.
  void forget_processes(const std::vector<GoneProcess>& gone);

  // Mount namespaces cached, and names kept for programs of other namespaces.
  size_t namespaces_cached() const;
  size_t answers_cached() const;
  // procflow's own mount namespace (inode), 0 if /proc could not say.
  uint64_t own_mntns() const { return own_mntns_; }

  // Parses passwd text ("name:passwd:uid:gid..." lines). Comment, NIS (+/-)
  // and malformed lines (no name, non-numeric uid, no ':' after the uid) are
  // skipped; the first entry for a uid wins, as getpwuid() would return it.
  static std::unordered_map<uint32_t, std::string> parse_passwd(std::string_view text);
  // The inode in a namespace link's text, "mnt:[4026531841]" -> 4026531841.
  static std::optional<uint64_t> parse_ns_link(std::string_view text);

 private:
  // What tells a re-read file from the one already parsed.
  struct FileId {
    uint64_t dev = 0, ino = 0, size = 0, mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  struct HostTable {
    std::unordered_map<uint32_t, std::string> users;
    bool loaded = false;
    Clock::time_point loaded_at;
  };
  static constexpr size_t kMembers = 4;
  struct Namespace {
    std::unordered_map<uint32_t, std::string> users;
    UidMap uid_map;                // the members' user namespace, as procflow sees it
    bool loaded = false;           // users are this namespace's own
    FileId passwd;                 // the file users came from (all zero: it had none)
    uint64_t checked_boot_ns = 0;  // CLOCK_BOOTTIME of the last read or check of it
    // The newest mount sequence exec records showed, and the one that held
    // (at least) when users were last read or checked.
    std::optional<uint64_t> newest_event, checked_event;
    Clock::time_point checked_at;              // steady time of the last attempt, read or failed
    uint32_t failed_pid = 0;                   // the pid the last failed attempt went through
    std::array<uint32_t, kMembers> members{};  // newest first; 0 = free
  };
  enum class Visit { read, unreachable };

  void load_host(HostTable& table);
  std::string from_host(uint32_t uid, Clock::time_point now);
  Namespace& namespace_of(uint64_t mntns);
  static void add_member(Namespace& ns, uint32_t pid);
  // Reads (or re-checks) the namespace's passwd through `pid`, then its
  // other members; false when none of them is alive and in it.
  bool refresh(Namespace& ns, uint64_t mntns, uint32_t pid);
  Visit visit(Namespace& ns, uint64_t mntns, uint32_t pid);
  bool stale(Clock::time_point at, Clock::time_point now) const;
  static bool seen_by(const Namespace& ns, const ProgramStart& program, uint64_t exited_ns);
  std::string lookup(uint32_t uid, uint32_t pid, uint64_t mntns, const ProgramStart& program,
                     uint64_t exited_ns);

  // A name given to one program (pid, exec time) in another namespace.
  struct AnswerKey {
    uint64_t mntns = 0, program_ns = 0;
    uint32_t pid = 0, uid = 0;
    bool operator==(const AnswerKey&) const = default;
  };
  struct AnswerHash {
    size_t operator()(const AnswerKey& k) const;
  };

  std::string proc_root_;
  std::string host_passwd_;
  Clock::duration reread_interval_;
  uint64_t own_mntns_ = 0;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Namespace> by_mntns_;
  // Kept so that a flow's later events (its end, after the linger) say what
  // its first did, whatever has become of the namespace's inode since.
  std::unordered_map<AnswerKey, std::string, AnswerHash> answers_;
  HostTable host_;
};

}  // namespace procflow
