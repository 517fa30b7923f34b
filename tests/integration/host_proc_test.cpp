// host_proc (issue 10, section 2): procflow in a pid namespace that is not
// the host's, given the host's /proc, must refuse to start and say to run
// with the host's pid namespace. Set up for real: a new mount and pid
// namespace, the host's /proc bind-mounted elsewhere first, then a /proc of
// the new namespace mounted over /proc (what a container without hostPID
// that mounts the host's /proc sees). And the same container without
// --host-proc: only its own /proc, where procflow is pid 1 with one NSpid,
// must be refused too.
#include <gtest/gtest.h>

#include "bpf_gate.h"
#include "procflow_runner.h"
#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {
namespace {

TEST(HostProcTest, AnotherPidNamespaceIsRefusedWithAdvice) {
  PROCFLOW_REQUIRE_BPF_OR_SKIP();
  ScratchDir dir("pf-it-hostproc-");
  const std::string host_proc = (dir.path() / "host-proc").string();
  std::filesystem::create_directories(host_proc);
  const std::vector<std::string> argv = {
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "sh",
      "-c",
      "mount --bind /proc \"$0\" && mount -t proc proc /proc && exec \"$@\"",
      host_proc,
      procflow_binary(),
      "trace",
      "--host-proc",
      host_proc,
      "--interfaces",
      "lo",
      "--duration",
      "5"};
  const CommandResult result = run_command(argv, 30s);
  ASSERT_TRUE(result.status) << result.describe(argv);
  EXPECT_EQ(result.status->exited ? result.status->code : -1, 1) << result.describe(argv);
  EXPECT_NE(result.err.find("not in the host's pid namespace"), std::string::npos)
      << result.describe(argv);
  EXPECT_NE(result.err.find("hostPID: true"), std::string::npos) << result.describe(argv);
  EXPECT_EQ(result.out, "") << result.describe(argv);
}

TEST(HostProcTest, AnotherPidNamespaceWithoutHostProcIsRefusedWithAdvice) {
  PROCFLOW_REQUIRE_BPF_OR_SKIP();
  const std::vector<std::string> argv = {"unshare",         "--pid", "--fork",       "--mount-proc",
                                         procflow_binary(), "trace", "--interfaces", "lo",
                                         "--duration",      "5"};
  const CommandResult result = run_command(argv, 30s);
  ASSERT_TRUE(result.status) << result.describe(argv);
  EXPECT_EQ(result.status->exited ? result.status->code : -1, 1) << result.describe(argv);
  EXPECT_NE(result.err.find("procflow is not in the host's pid namespace (its pid namespace is "
                            "pid:["),
            std::string::npos)
      << result.describe(argv);
  EXPECT_NE(result.err.find("the host's pid:[4026531836]): the kernel reports host pids, so run "
                            "it with the host's pid namespace (Kubernetes: hostPID: true; "
                            "podman/docker: --pid=host)"),
            std::string::npos)
      << result.describe(argv);
  EXPECT_EQ(result.out, "") << result.describe(argv);
}

}  // namespace
}  // namespace procflow_it
