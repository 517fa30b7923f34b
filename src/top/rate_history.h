// One group's last minute, a second per slot: bytes in and out and
// connections started in each second. Bytes are added to the seconds they
// were carried in (a reported flow spreads its bytes over the time it covers,
// see flow_aggregator.h), so a slot may fill after its second has passed.
// A slot remembers which second it holds: a stale one reads as zero, and no
// timer has to clear the ring as time goes on.
#pragma once

#include <array>
#include <cstdint>

namespace procflow {

class RateHistory {
 public:
  static constexpr int kSeconds = 60;

  struct Second {
    double in_bytes = 0, out_bytes = 0;
    uint32_t connections = 0;
  };

  // Adds to UNIX second `second`; ignored when it is more than a minute
  // before `now_s` (or after it: a clock step must not poison the ring).
  void add(uint64_t now_s, uint64_t second, double in_bytes, double out_bytes,
           uint32_t connections);
  // Spreads `in_bytes`/`out_bytes`, carried evenly from `from_us` to `to_us`,
  // over the seconds of that span still in the minute before `now_s`.
  void spread(uint64_t now_s, uint64_t from_us, uint64_t to_us, uint64_t in_bytes,
              uint64_t out_bytes);

  // The value of `second` (zero when the slot holds another second).
  Second at(uint64_t second) const;
  struct Rates {
    double in_bytes = 0, out_bytes = 0, connections = 0;  // per second
  };
  // Averages over the `seconds` ending with `now_s` (inclusive).
  Rates average(uint64_t now_s, int seconds) const;
  // True when no second of the minute before `now_s` holds anything.
  bool idle(uint64_t now_s) const;

 private:
  struct Slot {
    uint64_t second = 0;
    Second value;
  };
  std::array<Slot, kSeconds> slots_{};
};

}  // namespace procflow
