// Maps a process's uid to a user name the way that process would see it:
// from the passwd file under its own root, so a container's users resolve
// from the container's /etc/passwd rather than the host's.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace procflow {

class UserResolver {
 public:
  using Clock = std::chrono::steady_clock;

  // `proc_root` is where procfs is mounted; `host_passwd` is used when a
  // process's root can no longer be opened (the process is gone). A
  // namespace's file is re-read for a missing uid at most once per
  // `reread_interval`.
  explicit UserResolver(std::string proc_root = "/proc", std::string host_passwd = "/etc/passwd",
                        Clock::duration reread_interval = std::chrono::seconds(5));

  // The name of `uid` for process `pid` in mount namespace `mntns`, or "" if
  // unknown. The file is read once per namespace and cached; mntns 0 means
  // "unknown namespace" and resolves from the host file. Thread-safe.
  std::string name(uint32_t uid, uint32_t pid, uint64_t mntns);
  // Drops the cache of a mount namespace that no longer exists.
  void forget(uint64_t mntns);

  // Parses passwd text ("name:passwd:uid:gid..." lines). Comment, NIS (+/-)
  // and malformed lines (no name, non-numeric uid, no ':' after the uid) are
  // skipped; the first entry for a uid wins, as getpwuid() would return it.
  static std::unordered_map<uint32_t, std::string> parse_passwd(std::string_view text);

 private:
  struct Table {
    std::unordered_map<uint32_t, std::string> users;  // empty when from_host
    bool loaded = false;
    Clock::time_point loaded_at;
    bool from_host = false;  // the process root was unreadable; users are the host's
  };

  // Fills `table` from the process's root, or from the host file when the
  // root cannot be opened.
  void load_namespace(Table& table, uint32_t pid);
  void load_host(Table& table);
  bool stale(const Table& table, Clock::time_point now) const;

  std::string proc_root_;
  std::string host_passwd_;
  Clock::duration reread_interval_;
  std::mutex mu_;
  std::unordered_map<uint64_t, Table> by_mntns_;
  Table host_;  // the host file, also standing in for gone processes
};

}  // namespace procflow
