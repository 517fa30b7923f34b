// Tests TcRegistry's liveness check through a fake /proc (what host_proc
// points to in a container): a recorded instance whose stat says procflow
// and not a zombie still runs, and its record is kept; a zombie, another
// program with its pid, or no process at all is gone, and its record is
// replayed and removed. The interface in the records does not exist, so
// replaying touches no real TC filter.
#include "bpf/tc_registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <tuple>

#include "scratch_tree.h"

namespace procflow {
namespace {

constexpr pid_t kSelf = 7;
const std::string kRecord = "tc-48213";

void write_stat(const test::ScratchTree& tree, const std::string& comm, char state) {
  tree.write("proc/48213/stat", "48213 (" + comm + ") " + std::string(1, state) +
                                    " 1 48213 48213 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                                    "98765 1000 10\n");
}

// An instance's record naming an interface index no interface has.
void write_record(const test::ScratchTree& tree) {
  tree.write("run/" + kRecord, "2147483647 pf-gone0 0\n");
}

TEST(TcRegistryTest, GoneInstancesRecordsAreRemoved) {
  for (const auto& [comm, state, what] :
       {std::tuple{std::string("procflow"), 'Z', "a zombie"},
        std::tuple{std::string("bash"), 'S', "another program with the pid"},
        std::tuple{std::string(""), 'S', "no process with the pid"}}) {
    test::ScratchTree tree;
    ASSERT_TRUE(tree.ok());
    write_record(tree);
    if (!comm.empty()) write_stat(tree, comm, state);
    TcRegistry registry(tree.path("run"), kSelf, tree.path("proc"));
    EXPECT_EQ(registry.remove_stale(), 0) << what << ": its interface is gone";
    EXPECT_FALSE(std::filesystem::exists(tree.path("run/" + kRecord))) << what;
  }
}

TEST(TcRegistryTest, TheHostsProcIsAskedNotProcflowsOwn) {
  // The pid runs procflow in the host's /proc; procflow's own /proc has no
  // such process (or another one), and must not be asked.
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  write_record(tree);
  write_stat(tree, "procflow", 'R');
  TcRegistry with_host_proc(tree.path("run"), kSelf, tree.path("proc"));
  EXPECT_EQ(with_host_proc.remove_stale(), 0);
  EXPECT_TRUE(std::filesystem::exists(tree.path("run/" + kRecord)));
  TcRegistry with_empty_proc(tree.path("run"), kSelf, tree.path("no-proc"));
  EXPECT_EQ(with_empty_proc.remove_stale(), 0);
  EXPECT_FALSE(std::filesystem::exists(tree.path("run/" + kRecord)));
}

}  // namespace
}  // namespace procflow
