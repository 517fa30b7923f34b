// Tests UserResolver: the passwd line parser, per-mount-namespace resolution
// from a fake /proc tree, caching, re-reads, the host file for procflow's own
// namespace only, other live members of a namespace, reads that predate a
// process's program, and uid translation into a user namespace.
#include "enrich/user_resolver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace procflow {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

TEST(UserResolverTest, ParsesOrdinaryLines) {
  const auto users = UserResolver::parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
      "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n");
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users.at(0), "root");
  EXPECT_EQ(users.at(1), "daemon");
  EXPECT_EQ(users.at(1000), "alice");
}

TEST(UserResolverTest, ParseSkipsCommentsBlankNisAndMalformedLines) {
  const auto users = UserResolver::parse_passwd(
      "# comment:x:5:5::/:/bin/sh\n"
      "\n"
      "+nisuser:x:6:6::/:/bin/sh\n"
      "-nisgroup:x:7:7::/:/bin/sh\n"
      ":x:8:8::/:/bin/sh\n"              // empty name
      "noseparators\n"                   // no fields
      "short:x\n"                        // no uid field
      "nogid:x:9\n"                      // uid not terminated (could be cut off)
      "letters:x:abc:1::/:/bin/sh\n"     // non-numeric uid
      "empty:x::1::/:/bin/sh\n"          // empty uid
      "neg:x:-1:1::/:/bin/sh\n"          // negative uid
      "plus:x:+10:1::/:/bin/sh\n"        // signed uid
      "space:x: 11:1::/:/bin/sh\n"       // padded uid
      "big:x:4294967296:1::/:/bin/sh\n"  // does not fit in 32 bits
      "ok:x:12:12::/:/bin/sh\n");
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users.at(12), "ok");
}

TEST(UserResolverTest, ParseEdgeCases) {
  const auto users = UserResolver::parse_passwd(
      "crlf:x:20:20::/:/bin/sh\r\n"
      "max:x:4294967295:1::/:/bin/sh\n"
      "first:x:30:30::/:/bin/sh\n"
      "second:x:30:30::/:/bin/sh\n"  // getpwuid() returns the first match
      "minimal:x:40:\n"
      "last:x:50:50::/:/bin/sh");  // no final newline
  EXPECT_EQ(users.at(20), "crlf");
  EXPECT_EQ(users.at(4294967295u), "max");
  EXPECT_EQ(users.at(30), "first");
  EXPECT_EQ(users.at(40), "minimal");
  EXPECT_EQ(users.at(50), "last");
  EXPECT_EQ(users.size(), 5u);
}

TEST(UserResolverTest, ParseRejectsOverlongNames) {
  const std::string long_name(257, 'n');
  const std::string ok_name(256, 'o');
  const auto users = UserResolver::parse_passwd(long_name + ":x:1:1::/:/bin/sh\n" + ok_name +
                                                ":x:2:2::/:/bin/sh\n");
  EXPECT_FALSE(users.contains(1));
  EXPECT_EQ(users.at(2), ok_name);
}

TEST(UserResolverTest, ParseEmptyText) {
  EXPECT_TRUE(UserResolver::parse_passwd("").empty());
  EXPECT_TRUE(UserResolver::parse_passwd("\n\n\n").empty());
}

// A throwaway directory holding a fake /proc tree and a fake host passwd.
// Namespace links are symlinks with the kernel's text ("mnt:[111]"); only
// readlink() is used on them. procflow's own namespace is kOwnNs.
class UserResolverProcTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kOwnNs = 4026531841;

  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "procflow-users-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    proc_ = dir_ / "proc";
    host_passwd_ = dir_ / "host-passwd";
    fs::create_directories(proc_ / "self" / "ns");
    fs::create_symlink("mnt:[" + std::to_string(kOwnNs) + "]", proc_ / "self" / "ns" / "mnt");
    write(host_passwd_,
          "root:x:0:0::/root:/bin/sh\nhostuser:x:1000:1000::/home:/bin/sh\n"
          "nobody:x:65534:65534::/:/bin/sh\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::trunc) << text;
  }
  fs::path root_of(uint32_t pid) const { return proc_ / std::to_string(pid) / "root"; }
  // A live process `pid` in mount namespace `mntns`.
  void live(uint32_t pid, uint64_t mntns) const {
    const fs::path ns = proc_ / std::to_string(pid) / "ns";
    fs::create_directories(ns);
    fs::create_directories(root_of(pid));
    fs::remove(ns / "mnt");
    fs::create_symlink("mnt:[" + std::to_string(mntns) + "]", ns / "mnt");
  }
  // A live process whose root holds this passwd.
  void live(uint32_t pid, uint64_t mntns, const std::string& passwd) const {
    live(pid, mntns);
    write_passwd(pid, passwd);
  }
  void write_passwd(uint32_t pid, const std::string& text) const {
    write(root_of(pid) / "etc" / "passwd", text);
  }
  void write_uid_map(uint32_t pid, const std::string& text) const {
    write(proc_ / std::to_string(pid) / "uid_map", text);
  }
  void exit(uint32_t pid) const { fs::remove_all(proc_ / std::to_string(pid)); }
  UserResolver resolver(UserResolver::Clock::duration reread) const {
    return UserResolver(proc_.string(), host_passwd_.string(), reread);
  }
  static uint64_t boot_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  }

  fs::path dir_, proc_, host_passwd_;
};

TEST(UserResolverStaticTest, ParsesNamespaceLinks) {
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[4026531841]"), 4026531841u);
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[1]"), 1u);
  EXPECT_EQ(UserResolver::parse_ns_link("net:[4026531841]"), std::nullopt);
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[]"), std::nullopt);
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[0]"), std::nullopt);
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[12x]"), std::nullopt);
  EXPECT_EQ(UserResolver::parse_ns_link("mnt:[12"), std::nullopt);
  EXPECT_EQ(UserResolver::parse_ns_link(""), std::nullopt);
}

TEST_F(UserResolverProcTest, OwnNamespaceIsReadFromProcSelf) {
  EXPECT_EQ(resolver(hours(1)).own_mntns(), kOwnNs);
  UserResolver nowhere((dir_ / "no-proc").string(), host_passwd_.string(), hours(1));
  EXPECT_EQ(nowhere.own_mntns(), 0u);
}

TEST_F(UserResolverProcTest, OwnNamespaceUsesTheHostFile) {
  // Even when the process is gone: the host file is its passwd.
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 4321, kOwnNs), "hostuser");
  EXPECT_EQ(r.name(65534, 4321, kOwnNs), "nobody");
  EXPECT_EQ(r.name(7, 4321, kOwnNs), "");
}

TEST_F(UserResolverProcTest, EachNamespaceResolvesFromItsOwnRoot) {
  live(1234, 111, "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n");
  live(5678, 222, "root:x:0:0::/:/bin/sh\nbob:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  EXPECT_EQ(r.name(1000, 5678, 222), "bob");
  EXPECT_EQ(r.name(0, 5678, 222), "root");
  EXPECT_EQ(r.name(4242, 1234, 111), "");
}

TEST_F(UserResolverProcTest, NamespaceIsReadOnceAndCached) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  // The file changes and even disappears: no further reads for this namespace.
  write_passwd(1234, "carol:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  exit(1234);
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  // Another pid of the same namespace uses the same cache.
  EXPECT_EQ(r.name(1000, 9999, 111), "alice");
}

TEST_F(UserResolverProcTest, MissingUidIsNotRereadBeforeTheInterval) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1001, 1234, 111), "");
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\nnewbie:x:1001:1001::/:/bin/sh\n");
  EXPECT_EQ(r.name(1001, 1234, 111), "");
}

TEST_F(UserResolverProcTest, MissingUidIsRereadAfterTheInterval) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(seconds(0));
  EXPECT_EQ(r.name(1001, 1234, 111), "");
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\nnewbie:x:1001:1001::/:/bin/sh\n");
  EXPECT_EQ(r.name(1001, 1234, 111), "newbie");
}

// Regression (issue 7): a short-lived process in another mount namespace
// whose passwd differs was named from the host's passwd once its root was
// gone (uid 65534: "nobody" instead of the namespace's "pfinside").
TEST_F(UserResolverProcTest, GoneProcessOfAnotherNamespaceIsNotNamedFromTheHost) {
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(65534, 4321, 333), "");
  EXPECT_EQ(r.name(1000, 4321, 333), "");
  EXPECT_EQ(r.name(0, 4321, 333), "");
}

TEST_F(UserResolverProcTest, UnknownNamespaceNamesNobody) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 0), "");
}

TEST_F(UserResolverProcTest, GoneProcessIsNamedThroughAnotherMemberOfItsNamespace) {
  live(200, 444, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.remember(444, 200);  // e.g. the container's init, seen at its exec
  // 4321 exited before its record was read; 200 is still in the namespace.
  EXPECT_EQ(r.name(65534, 4321, 444), "pfinside");
}

TEST_F(UserResolverProcTest, MemberThatLeftTheNamespaceIsNotAWayIn) {
  live(200, 444, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.remember(444, 200);
  live(200, 555);  // pid 200 is now a process in another namespace
  EXPECT_EQ(r.name(65534, 4321, 444), "");
}

TEST_F(UserResolverProcTest, PidReusedInAnotherNamespaceIsNotRead) {
  live(1234, 999, "mallory:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  // The record said namespace 111; the pid now belongs to another process.
  EXPECT_EQ(r.name(1000, 1234, 111), "");
}

TEST_F(UserResolverProcTest, FailedReadIsRetriedThroughANewMember) {
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "");  // gone: nothing known
  live(1235, 111, "alice:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1235, 111), "alice");  // not cached as a failure
}

TEST_F(UserResolverProcTest, FailedReadIsRetriedThroughTheSamePidAfterTheInterval) {
  auto r = resolver(seconds(0));
  EXPECT_EQ(r.name(1000, 1234, 111), "");
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
}

TEST_F(UserResolverProcTest, FailedReadIsNotRetriedThroughTheSamePidBeforeTheInterval) {
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "");
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111), "");
  EXPECT_EQ(r.name(1000, 1236, 111), "alice");  // another pid may try at once
}

// `unshare -m sh -c 'mount --bind my-passwd /etc/passwd; exec prog'`: the
// namespace is read at sh's exec, before the bind mount. prog's flow must
// not be named from that earlier read.
TEST_F(UserResolverProcTest, ReadBeforeTheProgramStartedDoesNotNameIt) {
  live(1234, 111, "nobody:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(65534, 1234, 111), "nobody");  // sh's exec: the file as it was
  write_passwd(1234, "pfinside:x:65534:65534::/:/bin/sh\nlonger:x:1:1::/:/bin/sh\n");
  const uint64_t prog_exec = boot_now_ns();
  // prog still runs: the namespace is checked again and the change seen.
  EXPECT_EQ(r.name(65534, 1234, 111, {prog_exec}), "pfinside");
  // Once prog is gone, a read from before a later program is no answer.
  exit(1234);
  const uint64_t later_exec = boot_now_ns();
  EXPECT_EQ(r.name(65534, 1234, 111, {later_exec}), "");
  // But it still names what it was read for.
  EXPECT_EQ(r.name(65534, 1234, 111, {prog_exec}), "pfinside");
}

// `ip netns exec NS setpriv ... prog`: the namespace is read at setpriv's
// exec; prog execs a moment later and exits before its record is read. No
// mount changed in between (same mount sequence): what was read is what
// prog saw.
TEST_F(UserResolverProcTest, ReadWithTheSameMountSequenceNamesALaterProgram) {
  live(1234, 111, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.on_exec(65534, 1234, 111, {boot_now_ns(), 7});  // setpriv, still running
  exit(1234);
  EXPECT_EQ(r.name(65534, 1234, 111, {boot_now_ns(), 7}), "pfinside");
  // A mount in between (sequence 9): the read may predate it.
  EXPECT_EQ(r.name(65534, 1234, 111, {boot_now_ns(), 9}), "");
  // No sequence known (no exec record): only the time counts.
  EXPECT_EQ(r.name(65534, 1234, 111, {boot_now_ns()}), "");
}

// `unshare -m sh -c 'mount --bind my-passwd /etc/passwd; exec prog'`: sh's
// exec (sequence 3) is read before the bind mount; prog (sequence 4, after
// it) is read again while it runs.
TEST_F(UserResolverProcTest, MountAfterTheReadIsSeenAtTheNextExec) {
  live(1234, 111, "nobody:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.on_exec(65534, 1234, 111, {boot_now_ns(), 3});
  write_passwd(1234, "pfinside:x:65534:65534::/:/bin/sh\nother:x:1:1::/:/bin/sh\n");
  const ProgramStart prog{boot_now_ns(), 4};
  r.on_exec(65534, 1234, 111, prog);
  exit(1234);
  EXPECT_EQ(r.name(65534, 1234, 111, prog), "pfinside");
}

TEST_F(UserResolverProcTest, OlderRecordDoesNotLowerTheMountSequence) {
  live(1234, 111, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.on_exec(65534, 1234, 111, {boot_now_ns(), 8});
  // A record from another CPU that read the sequence before a mount.
  r.on_exec(65534, 1234, 111, {1, 5});
  exit(1234);
  EXPECT_EQ(r.name(65534, 1234, 111, {boot_now_ns(), 8}), "pfinside");
  EXPECT_EQ(r.name(65534, 1234, 111, {boot_now_ns(), 5}), "");
}

// The kernel hands a gone namespace's inode to the next new one, and
// one-shot namespaces (`ip netns exec`, `unshare -m`) come and go by the
// dozen: a read of the new namespace must not name the old one's processes,
// whose flows end (and are emitted) later.
TEST_F(UserResolverProcTest, ReusedNamespaceInodeDoesNotNameAnEndedProgram) {
  live(1234, 111, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  const ProgramStart first{boot_now_ns(), 7};
  r.on_exec(65534, 1234, 111, first);           // read while it runs
  const ProgramStart unseen{boot_now_ns(), 7};  // 1240's: never looked up while it ran
  exit(1234);
  const uint64_t ended = boot_now_ns();
  // Namespace 111 is gone; the next one gets its inode, and another passwd.
  live(5678, 111, "nobody:x:65534:65534::/:/bin/sh\n");
  const ProgramStart next{boot_now_ns(), 9};
  r.on_exec(65534, 5678, 111, next);
  EXPECT_EQ(r.name(65534, 5678, 111, next), "nobody");
  EXPECT_EQ(r.name(65534, 1234, 111, first, ended), "pfinside");  // what it was named then
  EXPECT_EQ(r.name(65534, 1240, 111, unseen, ended), "");
}

TEST_F(UserResolverProcTest, EndedProgramIsNotReadForAgain) {
  auto r = resolver(seconds(0));
  // Exited before its exec record was read: whatever lives under that inode
  // now is not where it ran.
  live(1234, 111, "nobody:x:65534:65534::/:/bin/sh\n");
  const uint64_t started = boot_now_ns();
  EXPECT_EQ(r.name(65534, 1234, 111, {started, 7}, started + 1), "");
}

TEST_F(UserResolverProcTest, UnchangedFileIsCheckedNotReparsed) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  // Same file, same size and time: a later program is named from the cache.
  EXPECT_EQ(r.name(1000, 1234, 111, {boot_now_ns()}), "alice");
}

TEST_F(UserResolverProcTest, UidIsTranslatedIntoTheProcessUserNamespace) {
  // A rootless container: inside uid 0..65535 are global 100000..165535.
  live(1234, 111, "root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n");
  write_uid_map(1234, "         0     100000      65536\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(100000, 1234, 111), "root");
  EXPECT_EQ(r.name(101000, 1234, 111), "app");
  EXPECT_EQ(r.name(1000, 1234, 111), "");  // not mapped: the process sees the overflow uid
  EXPECT_EQ(r.name(0, 1234, 111), "");
}

TEST_F(UserResolverProcTest, RootWithoutPasswdNamesNobody) {
  live(1234, 111);
  fs::create_directories(root_of(1234) / "etc");
  auto r = resolver(hours(1));
  // The process is alive but could not name uid 1000 itself; the host's
  // "hostuser" would be wrong for it.
  EXPECT_EQ(r.name(1000, 1234, 111), "");
}

TEST_F(UserResolverProcTest, FifoPasswdIsNotReadAndDoesNotBlock) {
  live(1234, 111);
  fs::create_directories(root_of(1234) / "etc");
  ASSERT_EQ(::mkfifo((root_of(1234) / "etc" / "passwd").c_str(), 0644), 0);
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "");
}

TEST_F(UserResolverProcTest, AbsoluteSymlinkResolvesInsideTheProcessRoot) {
  live(1234, 111);
  write(root_of(1234) / "usr" / "lib" / "passwd", "dana:x:1000:1000::/:/bin/sh\n");
  fs::create_directories(root_of(1234) / "etc");
  fs::create_symlink("/usr/lib/passwd", root_of(1234) / "etc" / "passwd");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "dana");
}

TEST_F(UserResolverProcTest, ForgetDropsTheCache) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  write_passwd(1234, "carol:x:1000:1000::/:/bin/sh\n");
  r.forget(111);
  EXPECT_EQ(r.name(1000, 1234, 111), "carol");
  r.forget(999);  // unknown namespaces are fine
}

// Regression (issue 8, the soak test): every `ip netns exec` gives its
// process a mount namespace of its own, and each one stayed cached (with its
// parsed passwd) after its last process was gone, as did the name given to
// every program of another namespace, until 4096 namespaces or 65536 names.
TEST_F(UserResolverProcTest, GoneProcessesTakeTheirNamesAndNamespacesAlong) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  const ProgramStart program{boot_now_ns()};
  r.on_exec(1000, 1234, 111, program);
  EXPECT_EQ(r.name(1000, 1234, 111, program), "alice");
  EXPECT_EQ(r.namespaces_cached(), 1u);
  EXPECT_EQ(r.answers_cached(), 1u);
  exit(1234);
  r.forget_processes({{1234, boot_now_ns()}});
  EXPECT_EQ(r.namespaces_cached(), 0u);
  EXPECT_EQ(r.answers_cached(), 0u);
}

TEST_F(UserResolverProcTest, NamespaceWithAnotherWayInIsKept) {
  live(200, 444, "pfinside:x:65534:65534::/:/bin/sh\n");
  live(4321, 444, "pfinside:x:65534:65534::/:/bin/sh\n");
  auto r = resolver(hours(1));
  r.remember(444, 200);  // e.g. the container's init
  const ProgramStart program{boot_now_ns()};
  EXPECT_EQ(r.name(65534, 4321, 444, program), "pfinside");
  exit(4321);
  r.forget_processes({{4321, boot_now_ns()}});
  EXPECT_EQ(r.namespaces_cached(), 1u);
  EXPECT_EQ(r.answers_cached(), 0u);
  // Still read through the member that is left.
  EXPECT_EQ(r.name(65534, 4322, 444, {boot_now_ns()}), "pfinside");
}

TEST_F(UserResolverProcTest, ALaterProcessWithTheSamePidKeepsItsName) {
  live(1234, 111, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111, {boot_now_ns()}), "alice");
  const uint64_t first_exited = boot_now_ns();
  const ProgramStart later{boot_now_ns() + 1};  // the pid's next process
  EXPECT_EQ(r.name(1000, 1234, 111, later), "alice");
  EXPECT_EQ(r.answers_cached(), 2u);
  r.forget_processes({{1234, first_exited}});
  EXPECT_EQ(r.answers_cached(), 1u);
  write_passwd(1234, "carol:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111, later), "alice");  // the first name found for it
}

TEST_F(UserResolverProcTest, UnreadableHostFileGivesEmptyNames) {
  UserResolver r(proc_.string(), (dir_ / "missing").string(), hours(1));
  EXPECT_EQ(r.name(1000, 4321, kOwnNs), "");
  EXPECT_EQ(r.name(0, 0, kOwnNs), "");
}

}  // namespace
}  // namespace procflow
