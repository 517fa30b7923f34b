#include "util/seconds.h"

#include <cmath>
#include <limits>

namespace procflow {
namespace {

uint64_t scale_saturating(double seconds, double units_per_second) {
  // Written so that NaN fails the comparison and lands here too.
  if (!(seconds > 0)) return 0;
  // Rounding, not truncation: 0.3 s is 300000 us, not 299999 (0.3 * 1e6 = 299999.99999999994).
  const double units = std::round(seconds * units_per_second);
  // 2^64 is exact as a double; every double at or above it (and +inf) does not fit.
  constexpr double first_too_large = 18446744073709551616.0;
  if (units >= first_too_large) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(units);
}

}  // namespace

uint64_t seconds_to_ns(double seconds) {
  return scale_saturating(seconds, 1e9);
}

uint64_t seconds_to_us(double seconds) {
  return scale_saturating(seconds, 1e6);
}

}  // namespace procflow
