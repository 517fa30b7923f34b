// Tests the /proc readers behind container_pid: NSpid lines as the kernel
// writes them, start times from stat lines with awkward process names, and
// reading this very process (whose start time must match, or nothing is read).
#include "enrich/process_pid_namespace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace procflow {
namespace {

TEST(ProcessPidNamespaceTest, NSpidLines) {
  // The host's own processes have one pid; a process two namespaces down three.
  EXPECT_EQ(inner_pid_from_status("Name:\tbash\nNSpid:\t4242\nNSpgid:\t4242\n"), std::nullopt);
  EXPECT_EQ(inner_pid_from_status("Name:\tsh\nNSpid:\t48213\t1\n"), 1u);
  EXPECT_EQ(inner_pid_from_status("NSpid:\t48213\t977\t12\nNSpgid:\t1\n"), 12u);
  EXPECT_EQ(inner_pid_from_status("Name:\tx\nNSpid:\t5 7"), 7u) << "no final newline";
  EXPECT_EQ(inner_pid_from_status("Name:\tx\n"), std::nullopt) << "kernels before 4.1";
  EXPECT_EQ(inner_pid_from_status("Name:\tx\nNSpid:\t5\tseven\n"), std::nullopt);
  EXPECT_EQ(inner_pid_from_status("Name:\tx\nNSpid:\t5\t0\n"), std::nullopt);
  EXPECT_EQ(inner_pid_from_status("Name:\tx\nNSpid:\t5\t4294967296\n"), std::nullopt);
  EXPECT_EQ(inner_pid_from_status("Name:\tNSpid:\t1\t2\n"), std::nullopt)
      << "only a line that starts with NSpid";
  std::string deep = "NSpid:";
  for (int i = 0; i < 40; i++) deep += "\t" + std::to_string(i + 1);
  EXPECT_EQ(inner_pid_from_status(deep), std::nullopt) << "deeper than the kernel nests";
}

TEST(ProcessPidNamespaceTest, StartTimeFromStat) {
  const long hz = sysconf(_SC_CLK_TCK);
  const uint64_t tick_ns = 1'000'000'000ull / static_cast<uint64_t>(hz);
  // comm may hold spaces and ')': fields are counted from the last ')'.
  const std::string stat =
      "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
  EXPECT_EQ(start_ns_from_stat(stat), 98765 * tick_ns);
  EXPECT_EQ(start_ns_from_stat("4242 (x) S 1 2 3"), std::nullopt);
  EXPECT_EQ(start_ns_from_stat("no parenthesis"), std::nullopt);
  EXPECT_EQ(start_ns_from_stat(""), std::nullopt);
}

TEST(ProcessPidNamespaceTest, ReadsThisProcessOnlyWithItsStartTime) {
  std::ifstream in("/proc/self/stat");
  std::stringstream text;
  text << in.rdbuf();
  const auto start = start_ns_from_stat(text.str());
  ASSERT_TRUE(start);
  const auto files = read_process_files("/proc", static_cast<uint32_t>(getpid()), *start, true);
  ASSERT_TRUE(files);
  EXPECT_NE(files->status.find("\nNSpid:"), std::string::npos);
  EXPECT_NE(files->cgroup.find("0::"), std::string::npos);
  const auto without = read_process_files("/proc", static_cast<uint32_t>(getpid()), *start, false);
  ASSERT_TRUE(without);
  EXPECT_TRUE(without->cgroup.empty());
  // A start an hour off is another process that had this pid.
  EXPECT_FALSE(read_process_files("/proc", static_cast<uint32_t>(getpid()),
                                  *start + 3600'000'000'000ull, true));
  EXPECT_FALSE(read_process_files("/nonexistent", static_cast<uint32_t>(getpid()), *start, true));
}

}  // namespace
}  // namespace procflow
