#include "util/boot_clock.h"

#include <ctime>

namespace procflow {
namespace {

uint64_t read_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

void BootClock::refresh() {
  // Bracket the realtime read between two boottime reads and take the middle.
  uint64_t b1 = read_ns(CLOCK_BOOTTIME);
  uint64_t r = read_ns(CLOCK_REALTIME);
  uint64_t b2 = read_ns(CLOCK_BOOTTIME);
  offset_ns_ = r - (b1 + (b2 - b1) / 2);
}

uint64_t BootClock::now_boot_ns() const {
  return read_ns(CLOCK_BOOTTIME);
}

}  // namespace procflow
