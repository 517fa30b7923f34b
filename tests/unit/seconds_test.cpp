// seconds_to_ns / seconds_to_us: the one conversion from a command line's seconds to the
// units the flow tables count in. It must never wrap: `--udp-idle-timeout 2e10` (2e19 ns, just
// over 2^64) and `1e308` used to become timeouts of about nothing.
#include "util/seconds.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace procflow {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(SecondsTest, ConvertsOrdinaryValues) {
  EXPECT_EQ(seconds_to_ns(60), 60'000'000'000ull);
  EXPECT_EQ(seconds_to_ns(0.1), 100'000'000ull);
  EXPECT_EQ(seconds_to_ns(86400), 86'400'000'000'000ull);
  EXPECT_EQ(seconds_to_ns(365 * 86400.0), 31'536'000'000'000'000ull);
  EXPECT_EQ(seconds_to_us(60), 60'000'000ull);
  EXPECT_EQ(seconds_to_us(1.5), 1'500'000ull);
}

TEST(SecondsTest, RoundsToTheNearestUnitRatherThanTruncating) {
  // 0.3 * 1e6 is 299999.99999999994 in doubles.
  EXPECT_EQ(seconds_to_us(0.3), 300'000ull);
  EXPECT_EQ(seconds_to_ns(1e-9), 1ull);
  EXPECT_EQ(seconds_to_ns(0.4e-9), 0ull);
}

TEST(SecondsTest, SaturatesInsteadOfWrapping) {
  EXPECT_EQ(seconds_to_ns(2e10), kMax);  // 2e19 ns > 2^64 - 1
  EXPECT_EQ(seconds_to_ns(1e308), kMax);
  EXPECT_EQ(seconds_to_ns(std::numeric_limits<double>::max()), kMax);
  EXPECT_EQ(seconds_to_ns(std::numeric_limits<double>::infinity()), kMax);
  EXPECT_EQ(seconds_to_us(1e308), kMax);
  EXPECT_EQ(seconds_to_us(std::numeric_limits<double>::infinity()), kMax);
}

TEST(SecondsTest, AroundTwoToTheSixtyFourNanoseconds) {
  // 2^64 ns is 18446744073.709551616 s: a second less still fits, a fraction more does not.
  const double fits = 18446744073.0;
  EXPECT_EQ(seconds_to_ns(fits), static_cast<uint64_t>(fits * 1e9));
  EXPECT_LT(seconds_to_ns(fits), kMax);
  EXPECT_EQ(seconds_to_ns(18446744074.0), kMax);
}

TEST(SecondsTest, NanNegativeAndZeroGiveZero) {
  EXPECT_EQ(seconds_to_ns(std::nan("")), 0ull);
  EXPECT_EQ(seconds_to_ns(-std::nan("")), 0ull);
  EXPECT_EQ(seconds_to_ns(-1), 0ull);
  EXPECT_EQ(seconds_to_ns(-0.0), 0ull);
  EXPECT_EQ(seconds_to_ns(0.0), 0ull);
  EXPECT_EQ(seconds_to_ns(-std::numeric_limits<double>::infinity()), 0ull);
  EXPECT_EQ(seconds_to_us(std::nan("")), 0ull);
  EXPECT_EQ(seconds_to_us(-5), 0ull);
}

}  // namespace
}  // namespace procflow
