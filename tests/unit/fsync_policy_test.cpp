// The fsync policy of a file output, seen from outside: the procflow binary replays a capture
// into a rotating file under `strace -f -y`, which prints every fsync/fdatasync with the path
// of its descriptor. never: not one. rotate: each file once, just before it is renamed away or
// closed, and the directory after each rotation (and once at open). batch: the file is
// fdatasync'ed after the last write, so nothing written stays unsynced. The files together hold
// exactly what the same replay prints on stdout.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "output/rotating_file.h"
#include "required_tool.h"
#include "run_binary.h"

#ifndef PROCFLOW_BINARY
#error "PROCFLOW_BINARY must name the procflow executable (tests/CMakeLists.txt)"
#endif

namespace procflow {
namespace {

namespace fs = std::filesystem;

constexpr char kStrace[] = "/usr/bin/strace";
// 21 conversations: 42 events of about 500 bytes, so a 1 KiB file takes one or two.
const std::string kCapture = std::string(PROCFLOW_TEST_FIXTURES) + "/pcap/dns/dns_fragmented.pcap";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FsyncPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/procflow_fsync_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // `procflow replay` of the capture to `uri` under strace; the trace's lines that name a
  // descriptor of the test's directory.
  std::vector<std::string> traced_replay(const std::string& uri, const std::string& syscalls) {
    const std::string trace = (dir_ / "strace.out").string();
    // In the sanitizer build the leak checker cannot run under ptrace: off for the child only.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string asan_options =
        "ASAN_OPTIONS=" + std::string(asan ? asan : "") + (asan ? ":" : "") + "detect_leaks=0";
    const BinaryRun run = run_binary(
        {kStrace, "-f", "-y", "-qq", "-o", trace, "-E", asan_options, "-e", "trace=" + syscalls,
         PROCFLOW_BINARY, "replay", "--format", "json", "--output", uri, kCapture},
        std::chrono::seconds(60));
    EXPECT_TRUE(run.exited && run.exit_status == 0) << run.describe();
    std::vector<std::string> lines;
    std::ifstream in(trace);
    const std::string ours = "<" + dir_.string();
    for (std::string line; std::getline(in, line);)
      if (line.find(ours) != std::string::npos) lines.push_back(line);
    fs::remove(trace);
    return lines;
  }

  // What the replay prints on stdout: the reference for the files' content.
  static std::string replay_stdout() {
    const BinaryRun run = run_binary({PROCFLOW_BINARY, "replay", "--format", "json", kCapture},
                                     std::chrono::seconds(60));
    EXPECT_TRUE(run.exited && run.exit_status == 0) << run.describe();
    return run.out;
  }

  // The rotated files oldest first, then the current one, concatenated; `files` their number.
  std::string files_content(size_t* files) const {
    const std::string path = (dir_ / "flows.json").string();
    std::string content;
    *files = 0;
    for (uint32_t n = 1000; n >= 1; --n) {
      if (!fs::exists(rotated_file_name(path, n))) continue;
      content += slurp(rotated_file_name(path, n));
      ++*files;
    }
    content += slurp(path);
    ++*files;
    return content;
  }

  static size_t count(const std::vector<std::string>& lines, const std::string& call) {
    size_t n = 0;
    for (const auto& l : lines) n += l.find(call) != std::string::npos;
    return n;
  }

  fs::path dir_;
};

TEST_F(FsyncPolicyTest, NeverSyncs) {
  PROCFLOW_REQUIRE_OR_SKIP(::access(kStrace, X_OK) == 0, "strace is not installed");
  const auto traced = traced_replay(
      "file:" + (dir_ / "flows.json").string() + "?max_size_kib=1&keep=1000&fsync=never",
      "fsync,fdatasync");
  EXPECT_TRUE(traced.empty()) << traced.front();
  size_t files = 0;
  EXPECT_EQ(files_content(&files), replay_stdout());
  EXPECT_GT(files, 10u) << "the 1 KiB files rotated";
}

TEST_F(FsyncPolicyTest, RotateSyncsEachFileBeforeItIsRenamedAndTheDirectoryAfter) {
  PROCFLOW_REQUIRE_OR_SKIP(::access(kStrace, X_OK) == 0, "strace is not installed");
  const std::string file = (dir_ / "flows.json").string();
  const auto traced =
      traced_replay("file:" + file + "?max_size_kib=1&keep=1000&fsync=rotate", "fsync,fdatasync");
  size_t files = 0;
  EXPECT_EQ(files_content(&files), replay_stdout());
  ASSERT_GT(files, 10u);
  // strace -y names a descriptor by its path at the time of the call: each file was synced while
  // it was still flows.json, i.e. before its rename, and the last one when it was closed.
  EXPECT_EQ(count(traced, "fdatasync("), 0u);
  EXPECT_EQ(count(traced, "fsync("), traced.size());
  EXPECT_EQ(count(traced, "<" + file + ">"), files);
  EXPECT_EQ(count(traced, "<" + dir_.string() + ">"), files) << "once at open, once per rotation";
  for (const auto& l : traced) EXPECT_NE(l.find(") = 0"), std::string::npos) << l;
}

TEST_F(FsyncPolicyTest, BatchLeavesNothingWrittenUnsynced) {
  PROCFLOW_REQUIRE_OR_SKIP(::access(kStrace, X_OK) == 0, "strace is not installed");
  const std::string file = (dir_ / "flows.json").string();
  const auto traced = traced_replay("file:" + file + "?fsync=batch", "write,fsync,fdatasync");
  size_t files = 0;
  EXPECT_EQ(files_content(&files), replay_stdout());
  EXPECT_EQ(files, 1u);
  std::vector<std::string> on_file;
  for (const auto& l : traced)
    if (l.find("<" + file + ">") != std::string::npos) on_file.push_back(l);
  ASSERT_FALSE(on_file.empty());
  EXPECT_GE(count(on_file, "write("), 1u);
  EXPECT_GE(count(on_file, "fdatasync("), 1u);
  // Every write is followed by an fdatasync of the file before the replay ends.
  EXPECT_NE(on_file.back().find("fdatasync("), std::string::npos) << on_file.back();
  EXPECT_EQ(count(traced, "<" + dir_.string() + ">"), 1u) << "the directory, once at open";
}

}  // namespace
}  // namespace procflow
