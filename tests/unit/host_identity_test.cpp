// Tests HostIdentity: short name and FQDN from a host name and hosts-file
// text, without any network look-up; in a DaemonSet the name is the node's,
// from PROCFLOW_NODE_NAME, instead of the kernel's (the pod's).
#include "enrich/host_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

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

// Sets PROCFLOW_NODE_NAME for one test and puts back what was there.
class NodeNameVariable {
 public:
  explicit NodeNameVariable(const char* value) {
    if (const char* old = std::getenv(kName)) saved_ = old;
    ::setenv(kName, value, 1);
  }
  ~NodeNameVariable() {
    if (saved_)
      ::setenv(kName, saved_->c_str(), 1);
    else
      ::unsetenv(kName);
  }

 private:
  static constexpr const char* kName = "PROCFLOW_NODE_NAME";
  std::optional<std::string> saved_;
};

// A scratch etc directory with a hosts file.
class EtcDir {
 public:
  explicit EtcDir(const std::string& hosts) {
    std::string templ = (fs::temp_directory_path() / "procflow-host-XXXXXX").string();
    if (::mkdtemp(templ.data())) path_ = templ;
    std::ofstream(path_ / "hosts") << hosts;
  }
  ~EtcDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(HostIdentityTest, NodeNameStandsForTheKernelName) {
  // The container's hosts file (the node's, with hostNetwork) lists it.
  const EtcDir etc("127.0.0.1 localhost\n10.0.0.7 worker-2.cluster.example worker-2\n");
  const NodeNameVariable node("worker-2");
  const auto id = HostIdentity::detect(etc.path());
  EXPECT_EQ(id.hostname, "worker-2");
  EXPECT_EQ(id.fqdn, "worker-2.cluster.example");
  const auto bare = HostIdentity::detect(etc.path() + "/missing");
  EXPECT_EQ(bare.hostname, "worker-2");
  EXPECT_EQ(bare.fqdn, "worker-2");
}

TEST(HostIdentityTest, ADottedNodeNameIsItsOwnFqdn) {
  // Cloud nodes are often named by their FQDN: it is kept whole, and no
  // hosts line is asked, even one that lists it.
  const EtcDir etc(
      "10.0.1.23 ip-10-0-1-23.other.example ip-10-0-1-23.eu-west-1.compute.internal\n");
  const NodeNameVariable node("ip-10-0-1-23.eu-west-1.compute.internal");
  const auto id = HostIdentity::detect(etc.path());
  EXPECT_EQ(id.hostname, "ip-10-0-1-23");
  EXPECT_EQ(id.fqdn, "ip-10-0-1-23.eu-west-1.compute.internal");
}

TEST(HostIdentityTest, AnEmptyNodeNameIsIgnored) {
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  const std::string kernel_name = name;
  const EtcDir etc("");
  const NodeNameVariable node("");
  const auto id = HostIdentity::detect(etc.path());
  EXPECT_EQ(id.hostname, kernel_name.substr(0, kernel_name.find('.')));
  EXPECT_EQ(id.fqdn, kernel_name);
}

}  // namespace
}  // namespace procflow
