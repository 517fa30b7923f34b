#include "top/rate_history.h"

#include <algorithm>

namespace procflow {

void RateHistory::add(uint64_t now_s, uint64_t second, double in_bytes, double out_bytes,
                      uint32_t connections) {
  if (second > now_s || second + kSeconds <= now_s) return;
  Slot& slot = slots_[second % kSeconds];
  if (slot.second != second) slot = Slot{second, {}};
  slot.value.in_bytes += in_bytes;
  slot.value.out_bytes += out_bytes;
  slot.value.connections += connections;
}

void RateHistory::spread(uint64_t now_s, uint64_t from_us, uint64_t to_us, uint64_t in_bytes,
                         uint64_t out_bytes) {
  if (!in_bytes && !out_bytes) return;
  // Past the end of `now_s`, clipped: a report time a little ahead of ours
  // lands in the current second rather than nowhere.
  const uint64_t end_us = std::min(to_us, (now_s + 1) * 1'000'000 - 1);
  if (from_us >= end_us) {  // no duration: all of it in the one second
    add(now_s, end_us / 1'000'000, double(in_bytes), double(out_bytes), 0);
    return;
  }
  const double span = double(end_us - from_us);
  const uint64_t first = std::max(from_us / 1'000'000, now_s + 1 - kSeconds);
  for (uint64_t s = first; s <= end_us / 1'000'000; s++) {
    const uint64_t lo = std::max(from_us, s * 1'000'000);
    const uint64_t hi = std::min(end_us, (s + 1) * 1'000'000);
    if (hi <= lo) continue;
    const double share = double(hi - lo) / span;
    add(now_s, s, share * double(in_bytes), share * double(out_bytes), 0);
  }
}

RateHistory::Second RateHistory::at(uint64_t second) const {
  const Slot& slot = slots_[second % kSeconds];
  return slot.second == second ? slot.value : Second{};
}

RateHistory::Rates RateHistory::average(uint64_t now_s, int seconds) const {
  seconds = std::clamp(seconds, 1, kSeconds);
  Rates sum;
  for (int i = 0; i < seconds && uint64_t(i) <= now_s; i++) {
    const Second v = at(now_s - i);
    sum.in_bytes += v.in_bytes;
    sum.out_bytes += v.out_bytes;
    sum.connections += v.connections;
  }
  return {sum.in_bytes / seconds, sum.out_bytes / seconds, sum.connections / seconds};
}

bool RateHistory::idle(uint64_t now_s) const {
  for (const Slot& slot : slots_) {
    if (slot.second + kSeconds <= now_s || slot.second > now_s) continue;
    if (slot.value.in_bytes > 0 || slot.value.out_bytes > 0 || slot.value.connections) return false;
  }
  return true;
}

}  // namespace procflow
