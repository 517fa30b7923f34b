// Without privileges procflow must fail fast and say why in one sentence,
// rather than hang, crash or print a libbpf error cascade. As root the test
// drops to nobody with setpriv (which also drops every capability); as an
// ordinary user it runs procflow directly, so it needs no BPF gate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "procflow_runner.h"
#include "topology.h"

namespace procflow_it {
namespace {

TEST(PrivilegeTest, UnprivilegedTraceFailsWithOneClearLine) {
  std::vector<std::string> argv = {procflow_binary(), "trace", "--format", "json",
                                   "--interfaces",    "lo"};
  if (geteuid() == 0) argv = as_user(argv, RunAs::nobody);
  SpawnedProcess procflow(argv);
  auto status = procflow.wait(10s);
  ASSERT_TRUE(status) << "unprivileged procflow still ran after 10 s:\n" << procflow.describe();
  EXPECT_FALSE(status->success()) << procflow.describe();
  EXPECT_TRUE(status->exited) << "it should exit, not die: " << status->describe();

  std::vector<std::string> lines;
  std::istringstream err(procflow.err().text());
  for (std::string line; std::getline(err, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 1u) << "expected exactly one line on stderr:\n" << procflow.describe();
  static const std::regex says_why("root|privilege|capabilit|CAP_BPF|CAP_SYS_ADMIN|permission",
                                   std::regex::icase);
  EXPECT_TRUE(std::regex_search(lines[0], says_why))
      << "the line should say that privileges are missing: " << lines[0];
  EXPECT_TRUE(procflow.out().text().empty()) << "nothing belongs on stdout:\n"
                                             << procflow.describe();
}

}  // namespace
}  // namespace procflow_it
