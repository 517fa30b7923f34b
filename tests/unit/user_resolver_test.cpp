// Tests UserResolver: the passwd line parser, per-mount-namespace resolution
// from a fake /proc tree, caching, re-reads and the host-file fallback.
#include "enrich/user_resolver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
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
class UserResolverProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "procflow-users-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    proc_ = dir_ / "proc";
    host_passwd_ = dir_ / "host-passwd";
    fs::create_directories(proc_);
    write(host_passwd_, "root:x:0:0::/root:/bin/sh\nhostuser:x:1000:1000::/home:/bin/sh\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::trunc) << text;
  }
  fs::path root_of(uint32_t pid) const { return proc_ / std::to_string(pid) / "root"; }
  void write_passwd(uint32_t pid, const std::string& text) const {
    write(root_of(pid) / "etc" / "passwd", text);
  }
  UserResolver resolver(UserResolver::Clock::duration reread) const {
    return UserResolver(proc_.string(), host_passwd_.string(), reread);
  }

  fs::path dir_, proc_, host_passwd_;
};

TEST_F(UserResolverProcTest, EachNamespaceResolvesFromItsOwnRoot) {
  write_passwd(1234, "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n");
  write_passwd(5678, "root:x:0:0::/:/bin/sh\nbob:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  EXPECT_EQ(r.name(1000, 5678, 222), "bob");
  EXPECT_EQ(r.name(0, 5678, 222), "root");
  EXPECT_EQ(r.name(4242, 1234, 111), "");
}

TEST_F(UserResolverProcTest, NamespaceIsReadOnceAndCached) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  // The file changes and even disappears: no further reads for this namespace.
  write_passwd(1234, "carol:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  fs::remove_all(proc_ / "1234");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  // Another pid of the same namespace uses the same cache.
  EXPECT_EQ(r.name(1000, 9999, 111), "alice");
}

TEST_F(UserResolverProcTest, MissingUidIsNotRereadBeforeTheInterval) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1001, 1234, 111), "");
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\nnewbie:x:1001:1001::/:/bin/sh\n");
  EXPECT_EQ(r.name(1001, 1234, 111), "");
}

TEST_F(UserResolverProcTest, MissingUidIsRereadAfterTheInterval) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(seconds(0));
  EXPECT_EQ(r.name(1001, 1234, 111), "");
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\nnewbie:x:1001:1001::/:/bin/sh\n");
  EXPECT_EQ(r.name(1001, 1234, 111), "newbie");
}

TEST_F(UserResolverProcTest, GoneProcessFallsBackToHostFile) {
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 4321, 333), "hostuser");
  EXPECT_EQ(r.name(0, 4321, 333), "root");
  EXPECT_EQ(r.name(7, 4321, 333), "");
}

TEST_F(UserResolverProcTest, UnknownNamespaceUsesHostFile) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 0), "hostuser");
}

TEST_F(UserResolverProcTest, HostStandInIsReplacedOnceTheNamespaceIsReadable) {
  auto r = resolver(seconds(0));
  EXPECT_EQ(r.name(1000, 1234, 111), "hostuser");
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
}

TEST_F(UserResolverProcTest, KnownNamespaceKeepsItsUsersWhenTheProcessIsGone) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(seconds(0));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  fs::remove_all(proc_ / "1234");
  // A re-read for a missing uid fails: the namespace's own table stays and
  // the host's users are not mixed in.
  EXPECT_EQ(r.name(0, 1234, 111), "");
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
}

TEST_F(UserResolverProcTest, RootWithoutPasswdNamesNobody) {
  fs::create_directories(root_of(1234) / "etc");
  auto r = resolver(hours(1));
  // The process is alive but could not name uid 1000 itself; the host's
  // "hostuser" would be wrong for it.
  EXPECT_EQ(r.name(1000, 1234, 111), "");
}

TEST_F(UserResolverProcTest, FifoPasswdIsNotReadAndDoesNotBlock) {
  fs::create_directories(root_of(1234) / "etc");
  ASSERT_EQ(::mkfifo((root_of(1234) / "etc" / "passwd").c_str(), 0644), 0);
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "");
}

TEST_F(UserResolverProcTest, AbsoluteSymlinkResolvesInsideTheProcessRoot) {
  write(root_of(1234) / "usr" / "lib" / "passwd", "dana:x:1000:1000::/:/bin/sh\n");
  fs::create_directories(root_of(1234) / "etc");
  fs::create_symlink("/usr/lib/passwd", root_of(1234) / "etc" / "passwd");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "dana");
}

TEST_F(UserResolverProcTest, ForgetDropsTheCache) {
  write_passwd(1234, "alice:x:1000:1000::/:/bin/sh\n");
  auto r = resolver(hours(1));
  EXPECT_EQ(r.name(1000, 1234, 111), "alice");
  write_passwd(1234, "carol:x:1000:1000::/:/bin/sh\n");
  r.forget(111);
  EXPECT_EQ(r.name(1000, 1234, 111), "carol");
  r.forget(999);  // unknown namespaces are fine
}

TEST_F(UserResolverProcTest, UnreadableHostFileGivesEmptyNames) {
  UserResolver r(proc_.string(), (dir_ / "missing").string(), hours(1));
  EXPECT_EQ(r.name(1000, 4321, 333), "");
  EXPECT_EQ(r.name(0, 0, 0), "");
}

}  // namespace
}  // namespace procflow
