#include "util/boot_clock.h"

#include <cstdint>
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
  // Bracket the realtime read between two boottime reads, take the middle,
  // and keep the tightest of a few tries: on a busy or emulated machine one
  // bracket can be wide.
  uint64_t best_offset = 0, best_width = UINT64_MAX;
  for (int i = 0; i < 3; i++) {
    uint64_t b1 = read_ns(CLOCK_BOOTTIME);
    uint64_t r = read_ns(CLOCK_REALTIME);
    uint64_t b2 = read_ns(CLOCK_BOOTTIME);
    if (b2 - b1 < best_width) {
      best_width = b2 - b1;
      best_offset = r - (b1 + (b2 - b1) / 2);
    }
  }
  // Adopt only a real change (a clock step, a suspend): re-measuring noise
  // must not move the times of events already partly written.
  constexpr uint64_t step_ns = 5'000'000;
  uint64_t diff = best_offset > offset_ns_ ? best_offset - offset_ns_ : offset_ns_ - best_offset;
  if (offset_ns_ == 0 || diff > step_ns) offset_ns_ = best_offset;
}

uint64_t BootClock::now_boot_ns() const {
  return read_ns(CLOCK_BOOTTIME);
}

}  // namespace procflow
