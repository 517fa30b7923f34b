// When a process's current program began, for judging whether something read
// about its mount namespace later (its passwd) is what that program saw.
#pragma once

#include <cstdint>
#include <optional>

namespace procflow {

struct ProgramStart {
  uint64_t boot_ns = 0;  // CLOCK_BOOTTIME of the exec (or of the process start); 0 = unknown
  // The namespace's mount sequence at the exec (pf_proc_exec.mnt_event):
  // equal values mean no mount changed in between. Unknown without an exec record.
  std::optional<uint64_t> mnt_event;
};

// A process procflow has stopped keeping: it exited at `exited_ns` (CLOCK_BOOTTIME).
struct GoneProcess {
  uint32_t pid = 0;
  uint64_t exited_ns = 0;
};

}  // namespace procflow
