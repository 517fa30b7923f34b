// Tests ProcessCache over a fake /proc tree in a temp dir: scan_proc and the
// stat parser (comm with spaces and ')'), identity by (pid, start time) with
// coarse /proc ticks vs exact kernel times, image paths from exec records
// (the kernel's path and flags, a truncated tail completed from the exe link,
// absolute, relative to cwd, the exe link preferred, " (deleted)" kept as a
// flag), fork inheritance, never the parent's image for a process that may
// have exec'd, and expiry of exited processes.
#include "enrich/process_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace procflow {
namespace {

namespace fs = std::filesystem;

uint64_t tick_ns() {
  const long hz = sysconf(_SC_CLK_TCK);
  return 1'000'000'000ull / static_cast<uint64_t>(hz > 0 ? hz : 100);
}

pf_task task(uint32_t tgid, uint32_t ppid, uint64_t start_boot_ns) {
  pf_task t{};
  t.tgid = tgid;
  t.tid = tgid;
  t.ppid = ppid;
  t.start_boot_ns = start_boot_ns;
  std::strncpy(t.comm, "task", sizeof t.comm);
  return t;
}

// An exec record as the kernel fills it: strings NUL-terminated, lengths
// with the NUL, exe_path_len 0 when exe_path is "".
pf_proc_exec exec_record(const pf_task& t, const std::string& filename, const std::string& exe_path,
                         uint32_t flags, uint64_t ktime_ns) {
  pf_proc_exec r{};
  r.hdr.kind = PF_REC_PROC_EXEC;
  r.hdr.size = sizeof r;
  r.hdr.ktime_ns = ktime_ns;
  r.task = t;
  const size_t f = std::min(filename.size(), sizeof r.filename - 1);
  std::memcpy(r.filename, filename.data(), f);
  r.filename_len = static_cast<uint32_t>(f + 1);
  const size_t e = std::min(exe_path.size(), sizeof r.exe_path - 1);
  std::memcpy(r.exe_path, exe_path.data(), e);
  r.exe_path_len = exe_path.empty() ? 0 : static_cast<uint32_t>(e + 1);
  r.exe_flags = flags;
  return r;
}

class ProcessCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "procflow-proc-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    proc_ = dir_ / "proc";
    fs::create_directories(proc_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A /proc/<pid>/stat line as the kernel writes it (Linux 6.x, 52 fields).
  static std::string stat_line(uint32_t pid, const std::string& comm, uint32_t ppid,
                               uint64_t start_ticks) {
    return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " " +
           std::to_string(pid) + " " + std::to_string(pid) +
           " 0 -1 4194560 1520 0 3 0 12 7 0 0 20 0 1 0 " + std::to_string(start_ticks) +
           " 12652544 1045 18446744073709551615 94740 94760 140730 0 0 0 0 4096 0 0 0 0 17 1 0 "
           "0 0 0 0 94770 94780 94790 140731 140732 140733 140734 0\n";
  }
  void write_stat(uint32_t pid, const std::string& comm, uint32_t ppid, uint64_t start_ticks) {
    write_raw_stat(pid, stat_line(pid, comm, ppid, start_ticks));
  }
  void write_raw_stat(uint32_t pid, const std::string& text) {
    fs::path d = proc_ / std::to_string(pid);
    fs::create_directories(d);
    std::ofstream(d / "stat", std::ios::trunc) << text;
  }
  void link(uint32_t pid, const char* name, const std::string& target) {
    fs::path d = proc_ / std::to_string(pid);
    fs::create_directories(d);
    fs::remove(d / name);
    fs::create_symlink(target, d / name);  // dangling is fine: only readlink() is used
  }
  ProcessCache cache() const { return ProcessCache(proc_.string()); }

  fs::path dir_, proc_;
};

TEST(ProcessCacheStaticTest, Basename) {
  EXPECT_EQ(ProcessCache::basename("/usr/bin/curl"), "curl");
  EXPECT_EQ(ProcessCache::basename("curl"), "curl");
  EXPECT_EQ(ProcessCache::basename("./bin/my server"), "my server");
  EXPECT_EQ(ProcessCache::basename("/"), "");
  EXPECT_EQ(ProcessCache::basename(""), "");
}

TEST(ProcessCacheStaticTest, SameStartExactAndCoarse) {
  ProcessEntry exact;
  exact.start_boot_ns = 5'000'000'123;
  EXPECT_TRUE(ProcessCache::same_start(exact, 5'000'000'123));
  EXPECT_FALSE(ProcessCache::same_start(exact, 5'000'000'124));
  EXPECT_TRUE(ProcessCache::same_start(exact, 0));  // unknown: trust the pid

  ProcessEntry coarse;
  coarse.start_boot_ns = 5'000'000'000;
  coarse.coarse_start = true;
  EXPECT_TRUE(ProcessCache::same_start(coarse, 5'000'000'000 + 20'000'000));
  EXPECT_TRUE(ProcessCache::same_start(coarse, 5'000'000'000 - 20'000'000));
  EXPECT_FALSE(ProcessCache::same_start(coarse, 5'000'000'000 + 20'000'001));
  EXPECT_FALSE(ProcessCache::same_start(coarse, 5'000'000'000 - 20'000'001));

  ProcessEntry unknown;
  EXPECT_TRUE(ProcessCache::same_start(unknown, 42));
}

TEST_F(ProcessCacheTest, ScanProcReadsEveryNumericEntry) {
  write_stat(1, "systemd", 0, 2);
  link(1, "exe", "/usr/lib/systemd/systemd");
  write_stat(1234, "nginx", 1, 5000);
  link(1234, "exe", "/usr/sbin/nginx");
  // Not processes: skipped.
  fs::create_directories(proc_ / "self");
  fs::create_directories(proc_ / "12abc");
  fs::create_directories(proc_ / "sys");
  std::ofstream(proc_ / "uptime") << "1.0 2.0\n";
  // A pid directory without stat (the process exited mid-scan): skipped.
  fs::create_directories(proc_ / "777");

  auto c = cache();
  c.scan_proc();
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.proc_reads(), 3u);  // 1, 1234 and 777

  const ProcessEntry* e = c.find(1234, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ppid, 1u);
  EXPECT_EQ(e->image.path, "/usr/sbin/nginx");
  EXPECT_EQ(e->exe, "nginx");
  EXPECT_EQ(e->start_boot_ns, 5000 * tick_ns());
  EXPECT_TRUE(e->coarse_start);
  EXPECT_EQ(e->exited_at_ns, 0u);
  EXPECT_EQ(c.proc_reads(), 3u);  // served from the cache

  const ProcessEntry* init = c.find(1, 0);
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->exe, "systemd");
  EXPECT_EQ(init->ppid, 0u);
}

TEST_F(ProcessCacheTest, ScanProcOfMissingRootDoesNothing) {
  ProcessCache c((dir_ / "nonexistent").string());
  c.scan_proc();
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(ProcessCacheTest, StatWithSpacesAndParensInComm) {
  // comm may hold anything, including ") S 1": only the last ')' ends it.
  write_stat(4321, "my (weird) S 99 app)", 4000, 7000);
  link(4321, "exe", "/opt/weird/app");
  auto c = cache();
  c.scan_proc();
  const ProcessEntry* e = c.find(4321, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ppid, 4000u);
  EXPECT_EQ(e->start_boot_ns, 7000 * tick_ns());
  EXPECT_EQ(e->exe, "app");
}

TEST_F(ProcessCacheTest, StatWithTooFewFieldsIsRejected) {
  write_raw_stat(50, "50 (short) S 1 50 50 0 -1\n");
  link(50, "exe", "/bin/short");
  write_raw_stat(51, "51 no parens S 1 50 50 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n");
  link(51, "exe", "/bin/noparens");
  write_raw_stat(52, "");
  link(52, "exe", "/bin/empty");
  auto c = cache();
  c.scan_proc();
  EXPECT_EQ(c.size(), 0u);
}

// Regression (bug fixed in 2d4c831): a stat line ending right after the
// comm's ')' made `line.substr(close + 2)` throw std::out_of_range out of
// scan_proc()/find() (and leak scan_proc's DIR*). Unreachable with a real
// procfs, but a malformed file must be rejected, not throw.
TEST_F(ProcessCacheTest, StatEndingAtTheCommIsRejectedNotThrown) {
  write_raw_stat(53, "53 (cut)");
  link(53, "exe", "/bin/cut");
  auto c = cache();
  EXPECT_NO_THROW(c.scan_proc());
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(ProcessCacheTest, CoarseProcStartMatchesWithinTwoTicks) {
  const uint64_t ticks = 123456;
  write_stat(600, "server", 1, ticks);
  link(600, "exe", "/usr/bin/server");
  auto c = cache();
  c.scan_proc();
  const uint64_t coarse = ticks * tick_ns();
  // The kernel's exact start lies somewhere inside the tick /proc rounded to.
  const ProcessEntry* e = c.find(600, coarse + 7'654'321);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->exe, "server");
  EXPECT_NE(c.find(600, coarse + 20'000'000), nullptr);
  EXPECT_NE(c.find(600, coarse - 20'000'000), nullptr);
}

TEST_F(ProcessCacheTest, ExactStartMustMatchExactly) {
  auto c = cache();
  c.on_exec(task(700, 1, 9'000'000'001), "/usr/bin/exact");
  const ProcessEntry* e = c.find(700, 9'000'000'001);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/usr/bin/exact");
  EXPECT_FALSE(e->coarse_start);
  EXPECT_EQ(e->start_boot_ns, 9'000'000'001u);
  EXPECT_EQ(c.find(700, 0), e);  // unknown start: trust the pid
  EXPECT_EQ(c.proc_reads(), 0u);
}

// Regression (bug fixed in 2d4c831): when the cached entry is a different
// process (same pid, other start time: the pid was reused) and neither /proc
// nor the parent knows better, find() used to return the old process's entry,
// attributing the new process's flow to the old image. Expected: nullptr.
TEST_F(ProcessCacheTest, ReusedPidWithOtherStartIsNotTheOldProcess) {
  auto c = cache();
  c.on_exec(task(700, 1, 9'000'000'001), "/usr/bin/old");
  EXPECT_EQ(c.find(700, 9'500'000'000), nullptr);
}

TEST_F(ProcessCacheTest, ReusedPidIsReadFreshFromProc) {
  auto c = cache();
  c.on_exec(task(710, 1, 1'000'000'000), "/usr/bin/old");
  // The pid now belongs to a newer process that /proc knows.
  const uint64_t new_ticks = 500;  // 5 s at 100 Hz
  write_stat(710, "new", 1, new_ticks);
  link(710, "exe", "/usr/bin/new");
  const uint64_t new_start = new_ticks * tick_ns() + 3'000'000;
  const ProcessEntry* e = c.find(710, new_start);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/usr/bin/new");
  EXPECT_TRUE(e->coarse_start);
  EXPECT_EQ(c.proc_reads(), 1u);
  // Read once, then cached.
  EXPECT_EQ(c.find(710, new_start), e);
  EXPECT_EQ(c.proc_reads(), 1u);
}

TEST_F(ProcessCacheTest, MissFallsBackToProcOnceThenCaches) {
  write_stat(800, "python3", 1, 100);
  link(800, "exe", "/usr/bin/python3.12");
  auto c = cache();
  EXPECT_EQ(c.size(), 0u);
  const ProcessEntry* e = c.find(800, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/usr/bin/python3.12");
  EXPECT_EQ(e->exe, "python3.12");
  EXPECT_EQ(c.proc_reads(), 1u);
  EXPECT_EQ(c.size(), 1u);
  fs::remove_all(proc_ / "800");  // the process exits: still known
  EXPECT_EQ(c.find(800, 0), e);
  EXPECT_EQ(c.proc_reads(), 1u);
}

TEST_F(ProcessCacheTest, UnknownEverywhereIsNull) {
  auto c = cache();
  EXPECT_EQ(c.find(12345, 1), nullptr);
  EXPECT_EQ(c.find(12345, 1), nullptr);  // its own parent: no loop
  EXPECT_EQ(c.find(12345, 1), nullptr);  // unknown parent
}

// Every event of a flow asks for its owner: a process /proc cannot name (it
// is gone, or a kernel thread without an image) costs one read, not one per
// event, and the same pid with another start time is asked again.
TEST_F(ProcessCacheTest, UnnamedProcessIsReadOnce) {
  auto c = cache();
  EXPECT_EQ(c.find(12345, 7), nullptr);
  EXPECT_EQ(c.find(12345, 7), nullptr);
  EXPECT_EQ(c.proc_reads(), 1u);
  write_stat(12345, "kworker/0:1", 2, 100);  // a kernel thread: no exe link
  EXPECT_EQ(c.find(12345, 7), nullptr);
  EXPECT_EQ(c.proc_reads(), 1u);
  EXPECT_EQ(c.find(12345, 8), nullptr);  // another start: a new process
  EXPECT_EQ(c.proc_reads(), 2u);
}

TEST_F(ProcessCacheTest, KernelPathOfAMemfdWithItsFlags) {
  auto c = cache();
  c.on_exec(exec_record(task(850, 849, 1000), "/dev/fd/4", "/memfd:payload",
                        PF_IMAGE_ANONYMOUS | PF_IMAGE_DELETED, 1500));
  const ProcessEntry* e = c.find(850, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/memfd:payload");
  EXPECT_EQ(e->exe, "memfd:payload");
  EXPECT_TRUE(e->image.memfd);
  EXPECT_TRUE(e->image.deleted);
  EXPECT_FALSE(e->image.truncated);
  EXPECT_EQ(e->program.boot_ns, 1500u);  // the exec, not the fork
  EXPECT_EQ(e->program.mnt_event, std::optional<uint64_t>(0));
  EXPECT_EQ(e->ppid, 849u);
  EXPECT_EQ(c.proc_reads(), 0u);
}

TEST_F(ProcessCacheTest, KernelPathOfADeletedFile) {
  // fexecve() of a file unlinked after open(): the kernel still has its name.
  link(851, "exe", "/tmp/other");  // the kernel's record wins over /proc
  auto c = cache();
  c.on_exec(
      exec_record(task(851, 1, 1000), "/dev/fd/3", "/tmp/.x/payload", PF_IMAGE_DELETED, 1200));
  const ProcessEntry* e = c.find(851, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/tmp/.x/payload");
  EXPECT_EQ(e->exe, "payload");
  EXPECT_TRUE(e->image.deleted);
  EXPECT_FALSE(e->image.memfd);
}

// Regression (issue 7): a path longer than the kernel's buffer used to be
// unresolved, and the execve() filename cut at 255 bytes stood in, so exe
// was a directory in the middle ("sshd" for .../sshd/.../evil).
TEST_F(ProcessCacheTest, TruncatedTailOfAGoneProcessKeepsItsBasename) {
  const std::string head = "/srv/" + std::string(300, 'a');
  const std::string tail = "/sshd/" + std::string(200, 'b') + "/evil";
  auto c = cache();
  c.on_exec(exec_record(task(860, 1, 1000), head + tail, tail, PF_IMAGE_TRUNCATED, 1100));
  const ProcessEntry* e = c.find(860, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "..." + tail);
  EXPECT_EQ(e->exe, "evil");
  EXPECT_TRUE(e->image.truncated);
}

TEST_F(ProcessCacheTest, TruncatedTailIsCompletedFromTheRunningProcess) {
  const std::string head = "/srv/" + std::string(200, 'a') + "/" + std::string(200, 'c');
  const std::string tail = "/sshd/" + std::string(200, 'b') + "/evil";
  link(861, "exe", head + tail);
  link(862, "exe", head + tail + " (deleted)");
  auto c = cache();
  c.on_exec(exec_record(task(861, 1, 1000), "evil", tail, PF_IMAGE_TRUNCATED, 1100));
  c.on_exec(exec_record(task(862, 1, 1000), "evil", tail, PF_IMAGE_TRUNCATED, 1100));
  const ProcessEntry* e = c.find(861, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, head + tail);
  EXPECT_FALSE(e->image.truncated);
  EXPECT_FALSE(e->image.deleted);
  EXPECT_EQ(e->exe, "evil");
  const ProcessEntry* deleted = c.find(862, 1000);
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->image.path, head + tail);
  EXPECT_TRUE(deleted->image.deleted);
}

TEST_F(ProcessCacheTest, TruncatedTailIsNotCompletedByAnotherImage) {
  const std::string tail = "/sshd/" + std::string(200, 'b') + "/evil";
  // The pid now runs something else (or the link ends inside a name).
  link(863, "exe", "/usr/bin/evil");
  link(864, "exe", "/srv/x" + tail.substr(1));  // ".../xsshd/...": not at a '/'
  auto c = cache();
  c.on_exec(exec_record(task(863, 1, 1000), "evil", tail, PF_IMAGE_TRUNCATED, 1100));
  c.on_exec(exec_record(task(864, 1, 1000), "evil", tail.substr(1), PF_IMAGE_TRUNCATED, 1100));
  EXPECT_EQ(c.find(863, 1000)->image.path, "..." + tail);
  EXPECT_TRUE(c.find(863, 1000)->image.truncated);
  EXPECT_TRUE(c.find(864, 1000)->image.truncated);
}

TEST_F(ProcessCacheTest, CutFilenameIsNeverTheImage) {
  // No kernel path, the process gone, and execve()'s path filled the
  // record's buffer: its last "component" is a cut name.
  const std::string long_path = "/opt/" + std::string(200, 'd') + "/sshd/" + std::string(100, 'e');
  auto c = cache();
  c.on_exec(exec_record(task(870, 1, 1000), long_path, "", 0, 1100));
  EXPECT_EQ(c.find(870, 1000), nullptr);
}

TEST_F(ProcessCacheTest, DescriptorFilenameIsNeverTheImage) {
  auto c = cache();
  c.on_exec(exec_record(task(871, 1, 1000), "/dev/fd/3", "", 0, 1100));
  c.on_exec(exec_record(task(872, 1, 1000), "/proc/self/fd/3", "", 0, 1100));
  EXPECT_EQ(c.find(871, 1000), nullptr);
  EXPECT_EQ(c.find(872, 1000), nullptr);
}

TEST_F(ProcessCacheTest, MemfdFromTheExeLink) {
  // Without the kernel's path (no exec hook): /proc's text is all there is.
  write_stat(873, "memfd:x", 1, 10);
  link(873, "exe", "/memfd:x (deleted)");
  auto c = cache();
  const ProcessEntry* e = c.find(873, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/memfd:x");
  EXPECT_EQ(e->exe, "memfd:x");
  EXPECT_TRUE(e->image.memfd);
  EXPECT_TRUE(e->image.deleted);
}

TEST_F(ProcessCacheTest, ExecWithAbsoluteFilenameAndNoProcEntry) {
  auto c = cache();
  c.on_exec(task(900, 1, 1000), "/usr/local/bin/worker");
  const ProcessEntry* e = c.find(900, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/usr/local/bin/worker");
  EXPECT_EQ(e->exe, "worker");
  EXPECT_EQ(e->ppid, 1u);
  EXPECT_EQ(e->start_boot_ns, 1000u);
  EXPECT_EQ(c.proc_reads(), 0u);  // exec records never read /proc/<pid>/stat
}

TEST_F(ProcessCacheTest, ExecWithRelativeFilenameResolvesAgainstCwd) {
  link(901, "cwd", "/srv/app");  // no exe link: the process is gone or hidden
  auto c = cache();
  c.on_exec(task(901, 1, 1000), "bin/server");
  const ProcessEntry* e = c.find(901, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/srv/app/bin/server");
  EXPECT_EQ(e->exe, "server");
}

// Regression (bug fixed in 2d4c831): a relative exec path used to be glued to
// the cwd without lexical normalisation ("/opt/app/./server", "//tool"), so
// image_path no longer equalled the path users filter and join on.
TEST_F(ProcessCacheTest, ExecWithDotSlashFilenameGivesNormalPath) {
  link(902, "cwd", "/opt/app");
  link(903, "cwd", "/");
  auto c = cache();
  c.on_exec(task(902, 1, 1000), "./server");
  c.on_exec(task(903, 1, 1000), "tool");
  EXPECT_EQ(c.find(902, 1000)->image.path, "/opt/app/server");
  EXPECT_EQ(c.find(903, 1000)->image.path, "/tool");
}

TEST_F(ProcessCacheTest, ExecWithRelativeFilenameAndNoCwdKeepsFilename) {
  auto c = cache();
  c.on_exec(task(904, 1, 1000), "bin/server");
  const ProcessEntry* e = c.find(904, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "bin/server");
  EXPECT_EQ(e->exe, "server");
}

TEST_F(ProcessCacheTest, ExeLinkIsPreferredOverTheExecFilename) {
  // execve("/usr/bin/python3") where python3 is a symlink to python3.12.
  link(910, "exe", "/usr/bin/python3.12");
  link(910, "cwd", "/home/alice");
  auto c = cache();
  c.on_exec(task(910, 1, 1000), "/usr/bin/python3");
  const ProcessEntry* e = c.find(910, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/usr/bin/python3.12");
  EXPECT_EQ(e->exe, "python3.12");

  c.on_exec(task(910, 1, 1000), "python3");  // relative: exe still wins over cwd
  EXPECT_EQ(c.find(910, 1000)->image.path, "/usr/bin/python3.12");
}

TEST_F(ProcessCacheTest, DeletedSuffixBecomesAFlag) {
  link(911, "exe", "/tmp/build/app (deleted)");
  write_stat(912, "upgraded", 1, 10);
  link(912, "exe", "/usr/sbin/daemon (deleted)");
  auto c = cache();
  c.on_exec(task(911, 1, 1000), "/tmp/build/app");
  const ProcessEntry* e = c.find(911, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.path, "/tmp/build/app");
  EXPECT_TRUE(e->image.deleted);
  EXPECT_FALSE(e->image.memfd);
  EXPECT_EQ(e->exe, "app");
  const ProcessEntry* d = c.find(912, 0);  // through read_proc
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->image.path, "/usr/sbin/daemon");
  EXPECT_TRUE(d->image.deleted);
  EXPECT_EQ(d->exe, "daemon");
}

TEST_F(ProcessCacheTest, DeletedAloneIsNotStripped) {
  // A file literally named " (deleted)" in /: only a suffix after a path goes.
  link(913, "exe", " (deleted)");
  auto c = cache();
  c.on_exec(task(913, 1, 1000), "/x");
  EXPECT_EQ(c.find(913, 1000)->image.path, " (deleted)");
}

TEST_F(ProcessCacheTest, ForkChildInheritsParentImage) {
  auto c = cache();
  c.on_exec(task(1000, 1, 5000), "/usr/sbin/sshd");
  c.on_fork(task(1001, 1000, 6000));
  const ProcessEntry* child = c.find(1001, 6000);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->image.path, "/usr/sbin/sshd");
  EXPECT_EQ(child->exe, "sshd");
  EXPECT_EQ(child->ppid, 1000u);
  EXPECT_EQ(child->start_boot_ns, 6000u);  // the child's own identity
  EXPECT_FALSE(child->coarse_start);
  EXPECT_EQ(c.size(), 2u);

  // Then the child execs something else: the parent is untouched.
  c.on_exec(task(1001, 1000, 6000), "/bin/bash");
  EXPECT_EQ(c.find(1001, 6000)->exe, "bash");
  EXPECT_EQ(c.find(1000, 5000)->exe, "sshd");
  EXPECT_EQ(c.proc_reads(), 0u);
}

// The parent's exec record after the child's fork record means the parent
// exec'd after forking: the child does not run that image.
TEST_F(ProcessCacheTest, ForkOfUnknownParentStaysUnknown) {
  auto c = cache();
  c.on_fork(task(1101, 1100, 6000));  // parent unknown at fork time
  EXPECT_EQ(c.find(1101, 6000), nullptr);
  c.on_exec(task(1100, 1, 5000), "/usr/bin/parent");
  EXPECT_EQ(c.find(1101, 6000), nullptr);
}

TEST_F(ProcessCacheTest, ForkOfAnExitedParentCopiesNothing) {
  auto c = cache();
  c.on_exec(task(1110, 1, 5000), "/usr/bin/gone");
  c.on_exit(task(1110, 1, 5000), 5500);
  // A fork record naming pid 1110 as parent cannot be from that process.
  c.on_fork(task(1111, 1110, 6000));
  EXPECT_EQ(c.find(1111, 6000), nullptr);
}

TEST_F(ProcessCacheTest, ForkCopiesTheParentsFlags) {
  auto c = cache();
  pf_proc_exec r = exec_record(task(1120, 1, 5000), "/dev/fd/3", "/memfd:payload",
                               PF_IMAGE_ANONYMOUS | PF_IMAGE_DELETED, 5100);
  c.on_exec(r);
  c.on_fork(task(1121, 1120, 6000));
  const ProcessEntry* child = c.find(1121, 6000);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->image, c.find(1120, 5000)->image);
  EXPECT_TRUE(child->image.memfd);
  EXPECT_EQ(child->program.boot_ns, 6000u);
  EXPECT_FALSE(child->program.mnt_event);
}

// Regression (issue 7, "the image that really ran"): a child whose fork
// record was missed (ring full) or that forked before procflow started, and
// that /proc no longer has, used to be reported with its parent's image. It
// may have exec'd anything (a memfd, a shell's command): unknown it is.
TEST_F(ProcessCacheTest, UnknownChildIsNotItsParent) {
  auto c = cache();
  c.on_exec(task(1200, 1, 5000), "/usr/bin/gunicorn");
  EXPECT_EQ(c.find(1201, 7000), nullptr);
  EXPECT_EQ(c.proc_reads(), 1u);  // /proc was asked
  EXPECT_EQ(c.size(), 1u);        // and the child is not invented
}

// Regression (issue 7): a memfd exec that the kernel could not name (before
// the fix its walk gave "/", so exe was empty) fell through /proc (gone) to
// the parent's entry: python3.11 instead of /memfd:NAME. A known process
// with an unknown image is unknown, never its parent.
TEST_F(ProcessCacheTest, ExecWithoutAnyImageIsNotTheParent) {
  auto c = cache();
  c.on_exec(task(1210, 1, 5000), "/usr/bin/python3.11");
  c.on_fork(task(1211, 1210, 6000));
  c.on_exec(task(1211, 1210, 6000), "/dev/fd/4");  // fexecve; gone before it was read
  EXPECT_EQ(c.find(1211, 6000), nullptr);
}

TEST_F(ProcessCacheTest, ProcIsPreferredOverTheParentForAnUnknownChild) {
  auto c = cache();
  c.on_exec(task(1300, 1, 5000), "/usr/bin/bash");
  write_stat(1301, "vim", 1300, 900);
  link(1301, "exe", "/usr/bin/vim");
  const ProcessEntry* e = c.find(1301, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->exe, "vim");
}

TEST_F(ProcessCacheTest, ExitedEntriesExpireOnlyAfterKeep) {
  auto c = cache();
  c.on_exec(task(1400, 1, 100), "/bin/short-lived");
  c.on_exec(task(1401, 1, 200), "/bin/long-running");
  c.on_exit(task(1400, 1, 100), 1'000'000);
  EXPECT_EQ(c.find(1400, 100)->exited_at_ns, 1'000'000u);
  EXPECT_EQ(c.find(1401, 200)->exited_at_ns, 0u);

  const uint64_t keep = 5'000'000;
  EXPECT_TRUE(c.expire(1'000'000 + keep, keep).empty());  // exactly keep: still there
  EXPECT_EQ(c.size(), 2u);
  EXPECT_NE(c.find(1400, 100), nullptr);
  const std::vector<GoneProcess> gone = c.expire(1'000'000 + keep + 1, keep);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].pid, 1400u);
  EXPECT_EQ(gone[0].exited_ns, 1'000'000u);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find(1400, 100), nullptr);
  // Running processes never expire.
  c.expire(UINT64_MAX, 0);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_NE(c.find(1401, 200), nullptr);
}

TEST_F(ProcessCacheTest, ExitOfAnotherProcessWithTheSamePidIsIgnored) {
  auto c = cache();
  c.on_exec(task(1500, 1, 100), "/bin/current");
  c.on_exit(task(1500, 1, 99), 1000);  // an older process with this pid
  EXPECT_EQ(c.find(1500, 100)->exited_at_ns, 0u);
  c.expire(1'000'000'000, 0);
  EXPECT_EQ(c.size(), 1u);
  c.on_exit(task(9999, 1, 1), 1000);  // unknown pid: nothing happens
  EXPECT_EQ(c.size(), 1u);
}

TEST_F(ProcessCacheTest, ExecAfterExitRevivesTheEntry) {
  auto c = cache();
  c.on_exec(task(1600, 1, 100), "/bin/a");
  c.on_exit(task(1600, 1, 100), 1000);
  c.on_exec(task(1600, 1, 5000), "/bin/b");  // pid reused
  const ProcessEntry* e = c.find(1600, 5000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->exe, "b");
  EXPECT_EQ(e->exited_at_ns, 0u);
  c.expire(1'000'000'000, 0);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace procflow
