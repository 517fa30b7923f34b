// Converts the kernel's CLOCK_BOOTTIME stamps (bpf_ktime_get_boot_ns) into
// UNIX time. The offset is re-measured on refresh(), so a wall-clock step or
// a suspend is followed within one tick.
#pragma once

#include <cstdint>

namespace procflow {

class BootClock {
 public:
  BootClock() { refresh(); }
  void refresh();
  uint64_t now_boot_ns() const;
  uint64_t to_unix_us(uint64_t boot_ns) const { return (boot_ns + offset_ns_) / 1000; }
  uint64_t now_unix_us() const { return to_unix_us(now_boot_ns()); }

 private:
  uint64_t offset_ns_ = 0;  // realtime - boottime
};

}  // namespace procflow
