// The image that really ran (issue 7): a flow's exe and image_path name what
// the kernel runs for that very process, as /proc/PID/exe shows it, never its
// parent's image and never a path cut off as if whole.
//
// - Fileless children: fd_exec forks a child that fexecve()s a copy of
//   quick_connect from a memfd (with an empty environment, and with its
//   environment kept) or from a file unlinked after open(). The child waits
//   a second (the test reads its /proc/PID/exe meanwhile), connects and exits
//   at once. Its flow must say exactly what /proc said: image_path plus
//   " (deleted)" is the link's text, with image_deleted (and image_memfd for
//   the memfd), and exe is the memfd's name.
// - Long paths: a copy of quick_connect named "evil" deep in a directory tree
//   whose first 255 bytes end in ".../sshd" (where the execve() path used to
//   be cut), run and gone at once. exe must be "evil"; image_path the whole
//   path, or, past the kernel buffer, "..." and a tail of it flagged
//   image_truncated.
#include <unistd.h>

#include <filesystem>

#include "flow_assertions.h"
#include "integration_test.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

namespace fs = std::filesystem;

constexpr size_t kKernelPathMax = 1023;  // PF_EXE_PATH_LEN - 1: whole paths up to this long
constexpr int kLongPathRuns = 5;

std::string read_link(const std::string& path) {
  char buf[8192];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The pid quick_connect --delay-ms prints before it sleeps.
std::optional<int64_t> waiting_pid(const SpawnedProcess& process) {
  std::optional<int64_t> pid;
  process.out().wait_for(
      [&](const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
          auto json = JsonLine::parse(line);
          if (json && json->integer("waiting_pid")) pid = json->integer("waiting_pid");
        }
        return pid.has_value();
      },
      10s);
  return pid;
}

// image_path and the marks of an event, against the text of /proc/PID/exe.
void expect_image_as_proc_showed(const JsonLine& event, const std::string& exe_link) {
  constexpr std::string_view deleted = " (deleted)";
  const bool link_deleted = exe_link.ends_with(deleted);
  const std::string path =
      link_deleted ? exe_link.substr(0, exe_link.size() - deleted.size()) : exe_link;
  EXPECT_EQ(event.str("image_path"), path) << event.raw();
  EXPECT_EQ(event.str("exe"), fs::path(path).filename().string()) << event.raw();
  EXPECT_EQ(event.boolean("image_deleted").value_or(false), link_deleted) << event.raw();
  EXPECT_FALSE(event.has("image_truncated")) << event.raw();
}

class ImagePathTest : public IntegrationTest {
 protected:
  // Runs quick_connect through `fd_exec MODE TARGET ENV`; checks the flow
  // against the child's /proc/PID/exe, read while it waited.
  void run_fileless(const std::string& mode, const std::string& target, const std::string& env,
                    const std::string& expected_link, bool memfd) {
    ASSERT_NO_FATAL_FAILURE(start_procflow());
    const std::string server_ip = topo().host_ip4();
    ASSERT_NE(start_server(server_ip, kServerPort, 1, 0), nullptr);

    SpawnedProcess& launcher = spawn_in_ns({helper_path(Helper::fd_exec), mode, target, env,
                                            helper_path(Helper::quick_connect), server_ip,
                                            std::to_string(kServerPort), "--delay-ms", "1000"});
    const auto child = waiting_pid(launcher);
    ASSERT_TRUE(child) << launcher.describe();
    const std::string exe_link = read_link("/proc/" + std::to_string(*child) + "/exe");
    ASSERT_EQ(exe_link, expected_link) << "what the kernel shows for the running child";
    ASSERT_TRUE(launcher.wait(15s)) << launcher.describe();
    auto truth = client_truth(launcher);
    ASSERT_TRUE(truth && launcher.status()->success()) << launcher.describe();
    ASSERT_EQ(truth->pid, *child);

    FlowSelector selector = client_side(topo().ns_ip4(), truth->local_port, server_ip, kServerPort);
    selector.pid = truth->pid;
    ASSERT_TRUE(wait_for_ends({selector}, 15s));
    Flow flow = collect_flow(procflow().events(), selector);
    ASSERT_EQ(flow.starts.size(), 1u) << dump(flow.starts);
    ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.ends);
    for (const JsonLine* event : flow.all()) {
      SCOPED_TRACE(mode + " child " + std::to_string(*child) + ", environment " + env);
      EXPECT_EQ(event->integer("pid"), truth->pid) << event->raw();
      EXPECT_EQ(event->integer("ppid"), launcher.pid()) << event->raw();
      expect_image_as_proc_showed(*event, exe_link);
      EXPECT_EQ(event->boolean("image_memfd").value_or(false), memfd) << event->raw();
      EXPECT_NE(event->str("image_path"), helper_image_path(Helper::fd_exec))
          << "the parent's image: " << event->raw();
    }
  }

  // A copy of quick_connect at `program` (absolute), run kLongPathRuns times.
  void run_long_path(const fs::path& program) {
    ASSERT_NO_FATAL_FAILURE(start_procflow());
    const std::string server_ip = topo().host_ip4();
    ASSERT_NE(start_server(server_ip, kServerPort, 2, 0), nullptr);
    const std::string full = program.string();

    std::vector<ClientTruth> runs;
    for (int i = 0; i < kLongPathRuns; ++i) {
      SpawnedProcess& client = run_in_ns({full, server_ip, std::to_string(kServerPort)});
      auto truth = client_truth(client);
      ASSERT_TRUE(truth && client.status() && client.status()->success()) << client.describe();
      runs.push_back(*truth);
    }
    std::vector<FlowSelector> selectors;
    for (const auto& run : runs) {
      selectors.push_back(client_side(topo().ns_ip4(), run.local_port, server_ip, kServerPort));
      selectors.back().pid = run.pid;
    }
    ASSERT_TRUE(wait_for_ends(selectors, 30s));

    const auto events = procflow().events();
    for (const auto& selector : selectors) {
      Flow flow = collect_flow(events, selector);
      ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.ends);
      for (const JsonLine* event : flow.all()) {
        SCOPED_TRACE("path of " + std::to_string(full.size()) + " bytes");
        EXPECT_EQ(event->str("exe"), "evil") << event->raw();
        const std::string image = event->str("image_path").value_or("");
        if (!event->boolean("image_truncated").value_or(false)) {
          EXPECT_EQ(image, full) << event->raw();
          continue;
        }
        // "..." and whole trailing components of the real path.
        ASSERT_TRUE(image.starts_with(".../")) << event->raw();
        const std::string tail = image.substr(3);
        EXPECT_TRUE(full.ends_with(tail)) << event->raw();
        EXPECT_LT(tail.size(), full.size());
        EXPECT_LE(tail.size(), kKernelPathMax);
      }
    }
  }
};

// Regression (issue 7): fexecve() of a memfd with an empty environment was
// reported with the parent's image. The kernel's path walk gave "/" for the
// memfd's pseudo dentry, so exe was empty and the cache fell back to the
// parent's entry whenever the child had exited before its first flow event
// was built: the environment played no part.
TEST_F(ImagePathTest, MemfdChildWithEmptyEnvironmentIsTheMemfd) {
  run_fileless("memfd", "pf-payload", "empty", "/memfd:pf-payload (deleted)", true);
}

TEST_F(ImagePathTest, MemfdChildWithItsEnvironmentIsTheMemfd) {
  run_fileless("memfd", "pf-payload", "keep", "/memfd:pf-payload (deleted)", true);
}

TEST_F(ImagePathTest, ChildOfAnUnlinkedFileIsThatFileDeleted) {
  ScratchDir dir("pf-it-unlinked-");
  const std::string target = (dir.path() / "payload").string();
  run_fileless("unlinked", target, "empty", target + " (deleted)", false);
}

// The first 255 bytes of the path end in "/sshd": the execve() filename the
// kernel record keeps is cut right there.
fs::path long_program_path(const fs::path& base, size_t total) {
  std::string path = base.string();
  while (path.size() + 1 < 250) {
    path += "/" + std::string(std::min<size_t>(60, 249 - path.size()), 'd');
  }
  path += "/sshd";
  EXPECT_EQ(path.size(), 255u);
  const std::string last = "/evil";
  // Components of up to 100 bytes, none empty, to reach exactly `total`.
  size_t needed = total - path.size() - last.size();
  while (needed > 0) {
    size_t n = std::min<size_t>(100, needed - 1);
    if (needed - (n + 1) == 1) n -= 1;
    path += "/" + std::string(n, 'x');
    needed -= n + 1;
  }
  return path + last;
}

// Regression (issue 7): a 361-byte path was beyond the kernel's 256-byte
// buffer, and the cut execve() path named the image: exe "sshd".
TEST_F(ImagePathTest, ShortLivedProcessWithA361BytePathIsNamedWhole) {
  ScratchDir dir("pf-it-long-");
  const fs::path program = long_program_path(dir.path(), 361);
  ASSERT_EQ(program.string().size(), 361u);
  copy_executable(helper_path(Helper::quick_connect), program);
  run_long_path(program);
}

TEST_F(ImagePathTest, ShortLivedProcessWithAPathBeyondTheKernelBufferIsMarkedTruncated) {
  ScratchDir dir("pf-it-longer-");
  const fs::path program = long_program_path(dir.path(), 1500);
  ASSERT_EQ(program.string().size(), 1500u);
  copy_executable(helper_path(Helper::quick_connect), program);
  run_long_path(program);
}

}  // namespace
}  // namespace procflow_it
