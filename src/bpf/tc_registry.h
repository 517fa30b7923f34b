// What clsact state each running procflow created, so that a crashed one's
// leftovers can be removed by the next start without touching anything else.
//
// Each instance owns the filters at handle = its pid (priority 0x5046) and
// records, in /run/procflow/tc-<pid>, every interface it attached to and
// whether it created the clsact qdisc there. At start-up, the records of
// instances that are no longer running are replayed: their filters are
// detached and the qdiscs they created are deleted, unless a live instance
// uses that interface. tcx links need none of this: they die with the process.
// Whether a recorded instance still runs is read from the host's /proc
// (host_proc in a container), where its pid is what it recorded.
#pragma once

#include <sys/types.h>
#include <string>

namespace procflow {

class TcRegistry {
 public:
  static constexpr const char* kDefaultDir = "/run/procflow";

  // `self` 0: getpid(); `proc_root`: where the host's /proc is.
  explicit TcRegistry(std::string dir = kDefaultDir, pid_t self = 0,
                      std::string proc_root = "/proc");
  ~TcRegistry();  // a clean exit leaves no record behind
  TcRegistry(const TcRegistry&) = delete;
  TcRegistry& operator=(const TcRegistry&) = delete;

  uint32_t filter_handle() const { return static_cast<uint32_t>(self_); }
  void record(int ifindex, const std::string& name, bool created_qdisc);
  // Cleans up after dead instances; returns the number of filters removed.
  int remove_stale();

 private:
  std::string file_for(pid_t pid) const;
  bool procflow_alive(pid_t pid) const;
  std::string dir_;
  std::string proc_root_;
  pid_t self_;
  bool wrote_ = false;
  bool warned_ = false;  // a failed record is said once
};

}  // namespace procflow
