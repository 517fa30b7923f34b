// An address literal in a test: parsed, and a test failure (not a crash)
// when it does not parse.
#pragma once

#include <gtest/gtest.h>

#include "procflow/flow_event.h"

namespace procflow::test {

inline IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

}  // namespace procflow::test
