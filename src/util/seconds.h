// Seconds given as a double (command-line options, configuration) turned into the whole
// nanoseconds or microseconds the flow tables and the event loop count in. A plain
// `static_cast<uint64_t>(seconds * 1e9)` is undefined for NaN and for anything at or above
// 2^64 ns (about 584 years, so `--udp-idle-timeout 2e10` already), and in practice wrapped to ~0:
// these conversions saturate instead and are the only place such a cast happens.
#pragma once

#include <cstdint>

namespace procflow {

// Rounded to the nearest unit. NaN, negative values and -0 give 0; values too large for uint64
// (including +infinity) give UINT64_MAX.
uint64_t seconds_to_ns(double seconds);
uint64_t seconds_to_us(double seconds);

}  // namespace procflow
