// Tests HostIdentity: short name and FQDN from a host name and hosts-file
// text, without any network look-up.
#include "enrich/host_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace procflow {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDebianHosts =
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\tnode1.example.com\tnode1\n"
    "\n"
    "# The following lines are desirable for IPv6 capable hosts\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n";

TEST(HostIdentityTest, DottedNameIsItsOwnFqdn) {
  const auto id = HostIdentity::from("web-3.prod.example.org", kDebianHosts);
  EXPECT_EQ(id.hostname, "web-3");
  EXPECT_EQ(id.fqdn, "web-3.prod.example.org");
}

TEST(HostIdentityTest, FqdnFromHostsCanonicalName) {
  const auto id = HostIdentity::from("node1", kDebianHosts);
  EXPECT_EQ(id.hostname, "node1");
  EXPECT_EQ(id.fqdn, "node1.example.com");
}

TEST(HostIdentityTest, FqdnFromDottedAlias) {
  const auto id = HostIdentity::from("db1", "10.0.0.5 db1 db1.corp.example.net db1.alt.example\n");
  EXPECT_EQ(id.hostname, "db1");
  EXPECT_EQ(id.fqdn, "db1.corp.example.net");
}

TEST(HostIdentityTest, NoDottedAliasFallsBackToPlainName) {
  EXPECT_EQ(HostIdentity::from("box", "127.0.1.1 box\n").fqdn, "box");
  EXPECT_EQ(HostIdentity::from("box", "").fqdn, "box");
  EXPECT_EQ(HostIdentity::from("box", kDebianHosts).fqdn, "box");
}

TEST(HostIdentityTest, OnlyLinesListingTheNameCount) {
  // A dotted name on some other host's line must not be taken.
  const auto id = HostIdentity::from("node1",
                                     "10.0.0.9 other.example.com other\n"
                                     "10.0.0.10 node10.example.com node10\n");
  EXPECT_EQ(id.fqdn, "node1");
}

TEST(HostIdentityTest, TheAddressFieldIsNotAName) {
  EXPECT_EQ(HostIdentity::from("node1", "node1 node1.example.com\n").fqdn, "node1");
  EXPECT_EQ(HostIdentity::from("node1", "node1.example.com\n").fqdn, "node1");
}

TEST(HostIdentityTest, CommentsAreIgnored) {
  EXPECT_EQ(HostIdentity::from("node1", "# 127.0.1.1 node1.example.com node1\n").fqdn, "node1");
  EXPECT_EQ(HostIdentity::from("node1", "127.0.1.1 node1 # node1.example.com\n").fqdn, "node1");
  EXPECT_EQ(HostIdentity::from("node1", "127.0.1.1 node1.example.com node1 # x.y\n").fqdn,
            "node1.example.com");
}

TEST(HostIdentityTest, MatchingIsCaseInsensitiveAndToleratesBlanks) {
  const auto id = HostIdentity::from("Node1", "  127.0.1.1\t \tNODE1.Example.COM   node1 \r\n");
  EXPECT_EQ(id.hostname, "Node1");
  EXPECT_EQ(id.fqdn, "NODE1.Example.COM");
}

TEST(HostIdentityTest, FirstLineWithADottedNameWins) {
  const auto id = HostIdentity::from("node1",
                                     "127.0.1.1 node1\n"
                                     "10.0.0.1 node1.lan node1\n"
                                     "10.0.0.2 node1.example.com node1\n");
  EXPECT_EQ(id.fqdn, "node1.lan");
}

TEST(HostIdentityTest, NoTrailingNewline) {
  EXPECT_EQ(HostIdentity::from("node1", "127.0.1.1 node1.example.com node1").fqdn,
            "node1.example.com");
}

TEST(HostIdentityTest, EmptyName) {
  const auto id = HostIdentity::from("", kDebianHosts);
  EXPECT_EQ(id.hostname, "");
  EXPECT_EQ(id.fqdn, "");
}

TEST(HostIdentityTest, DetectUsesKernelNameAndGivenHostsFile) {
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  const std::string kernel_name = name;

  std::string templ = (fs::temp_directory_path() / "procflow-host-XXXXXX").string();
  ASSERT_NE(::mkdtemp(templ.data()), nullptr);
  const fs::path etc = templ;
  const std::string short_name = kernel_name.substr(0, kernel_name.find('.'));
  std::ofstream(etc / "hosts") << "127.0.1.1 " << short_name << ".detect-test.example "
                               << kernel_name << "\n";

  const auto id = HostIdentity::detect(etc.string());
  EXPECT_EQ(id.hostname, short_name);
  if (kernel_name.find('.') == std::string::npos) {
    EXPECT_EQ(id.fqdn, short_name + ".detect-test.example");
  } else {
    EXPECT_EQ(id.fqdn, kernel_name);
  }

  // Without a hosts file the plain name is all there is.
  const auto bare = HostIdentity::detect((etc / "missing").string());
  EXPECT_EQ(bare.hostname, short_name);
  EXPECT_EQ(bare.fqdn, kernel_name);
  fs::remove_all(etc);
}

}  // namespace
}  // namespace procflow
