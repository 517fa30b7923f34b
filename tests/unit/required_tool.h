// Tests that need a tool from the machine (tshark, dnsmasq): where it is
// missing they are skipped on a developer's machine, but in CI
// (PROCFLOW_REQUIRE_BPF=1, set by .ci/run, which installs every tool) a skip
// would hide that nothing was tested, so they fail instead.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace procflow::test {

inline bool everything_required() {
  const char* value = std::getenv("PROCFLOW_REQUIRE_BPF");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace procflow::test

// Use at the top of a test body (a function returning void).
#define PROCFLOW_REQUIRE_OR_SKIP(available, why)                         \
  do {                                                                   \
    if (!(available)) {                                                  \
      if (::procflow::test::everything_required()) {                     \
        FAIL() << (why) << " (PROCFLOW_REQUIRE_BPF=1 forbids skipping)"; \
      }                                                                  \
      GTEST_SKIP() << (why);                                             \
    }                                                                    \
  } while (0)
