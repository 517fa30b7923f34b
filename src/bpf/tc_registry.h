// What clsact state each running procflow created, so that a crashed one's
// leftovers can be removed by the next start without touching anything else.
//
// Each instance owns the filters at handle = its pid (priority 0x5046) and
// records, in /run/procflow/tc-<pid>, every interface it attached to and
// whether it created the clsact qdisc there. At start-up, the records of
// instances that are no longer running are replayed: their filters are
// detached and the qdiscs they created are deleted, unless a live instance
// uses that interface. tcx links need none of this: they die with the process.
#pragma once

#include <sys/types.h>
#include <string>

namespace procflow {

class TcRegistry {
 public:
  explicit TcRegistry(std::string dir = "/run/procflow", pid_t self = 0);
  ~TcRegistry();  // a clean exit leaves no record behind
  TcRegistry(const TcRegistry&) = delete;
  TcRegistry& operator=(const TcRegistry&) = delete;

  uint32_t filter_handle() const { return static_cast<uint32_t>(self_); }
  void record(int ifindex, const std::string& name, bool created_qdisc);
  // Cleans up after dead instances; returns the number of filters removed.
  int remove_stale();

 private:
  std::string file_for(pid_t pid) const;
  std::string dir_;
  pid_t self_;
  bool wrote_ = false;
  bool warned_ = false;  // a failed record is said once
};

}  // namespace procflow
