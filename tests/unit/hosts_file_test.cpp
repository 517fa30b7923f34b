// Tests HostsTable (hosts(5) parsing: first name, first line wins, comments,
// malformed lines, limits) and short_hostname / fill_short_hostnames.
#include "enrich/hosts_file.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "enrich/host_names.h"

namespace procflow {
namespace {

using test::ip;

TEST(HostsFileTest, ParsesTypicalFile) {
  const auto t = HostsTable::parse(
      "# The following lines are desirable for IPv4 capable hosts\n"
      "127.0.0.1       localhost\n"
      "127.0.1.1\tnode1.example.com node1   # the host itself\n"
      "\n"
      "   10.1.2.3   db.internal  db\n"
      "::1     localhost ip6-localhost ip6-loopback\n"
      "ff02::1 ip6-allnodes\n"
      "fe00::0 ip6-localnet\r\n");
  EXPECT_EQ(t.size(), 6u);
  EXPECT_EQ(t.lookup(ip("127.0.0.1")), "localhost");
  EXPECT_EQ(t.lookup(ip("127.0.1.1")), "node1.example.com");
  EXPECT_EQ(t.lookup(ip("10.1.2.3")), "db.internal");
  EXPECT_EQ(t.lookup(ip("::1")), "localhost");
  EXPECT_EQ(t.lookup(ip("ff02::1")), "ip6-allnodes");
  EXPECT_EQ(t.lookup(ip("fe00::")), "ip6-localnet") << "CRLF line ending";
  EXPECT_EQ(t.lookup(ip("10.1.2.4")), "");
}

TEST(HostsFileTest, FirstLineForAnAddressWins) {
  const auto t = HostsTable::parse(
      "10.0.0.1 first.example\n"
      "10.0.0.1 second.example\n"
      "10.0.0.2 other.example\n");
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.lookup(ip("10.0.0.1")), "first.example");
}

TEST(HostsFileTest, SkipsMalformedLines) {
  const auto t = HostsTable::parse(
      "not-an-address name.example\n"
      "10.0.0.1\n"                     // no name
      "10.0.0.2 # comment only\n"      // no name either
      "300.1.1.1 bad-octet.example\n"  // not an address
      "fe80::1%eth0 scoped.example\n"  // zone id: not a plain address
      "10.0.0.3 bad\x01name\n"         // control character
      "10.0.0.4 " +
      std::string(300, 'x') +
      "\n"  // name too long
      "#10.0.0.5 commented.example\n"
      "10.0.0.6 good.example\n");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(ip("10.0.0.6")), "good.example");
  EXPECT_EQ(t.lookup(ip("10.0.0.1")), "");
  EXPECT_EQ(t.lookup(ip("10.0.0.3")), "");
}

TEST(HostsFileTest, SkipsUnspecifiedAddressesOfBlockLists) {
  const auto t = HostsTable::parse("0.0.0.0 ads.example\n:: tracker.example\n10.0.0.1 ok\n");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(ip("0.0.0.0")), "");
}

TEST(HostsFileTest, MappedAddressesLookedUpAsIpv4) {
  const auto t = HostsTable::parse("::ffff:10.0.0.7 mapped.example\n10.0.0.8 plain.example\n");
  EXPECT_EQ(t.lookup(ip("10.0.0.7")), "mapped.example");
  EXPECT_EQ(t.lookup(ip("::ffff:10.0.0.8")), "plain.example");
}

TEST(HostsFileTest, KeepsNamesAsWrittenAndHandlesEdges) {
  EXPECT_EQ(HostsTable::parse("10.0.0.1 MixedCase.Example").lookup(ip("10.0.0.1")),
            "MixedCase.Example")
      << "no trailing newline, case kept";
  EXPECT_EQ(HostsTable::parse("").size(), 0u);
  EXPECT_EQ(HostsTable::parse("\n\n   \n#\n").size(), 0u);
  EXPECT_EQ(HostsTable::parse(std::string("10.0.0.1 a\0b\n", 13)).size(), 0u);
}

TEST(HostsFileTest, BoundedEntries) {
  std::string text;
  for (uint32_t i = 0; i < HostsTable::kMaxEntries + 100; ++i) {
    text += "10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." +
            std::to_string(i & 0xff) + " h\n";
  }
  ASSERT_LE(text.size(), HostsTable::kMaxBytes);
  EXPECT_EQ(HostsTable::parse(text).size(), HostsTable::kMaxEntries);
}

TEST(HostsFileTest, LoadsFromFileAndReportsMissingOnes) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("procflow_hosts_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "192.0.2.1 from-file.example alias\n";
  }
  std::string error;
  const auto t = HostsTable::load(path.string(), &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(t.lookup(ip("192.0.2.1")), "from-file.example");
  std::filesystem::remove(path);

  const auto missing = HostsTable::load(path.string(), &error);
  EXPECT_EQ(missing.size(), 0u);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(HostNamesTest, ShortHostnameIsTheFirstLabel) {
  EXPECT_EQ(short_hostname("www.example.com"), "www");
  EXPECT_EQ(short_hostname("localhost"), "localhost");
  EXPECT_EQ(short_hostname(""), "");
  EXPECT_EQ(short_hostname("a\\.b.example"), "a\\.b") << "escaped dot stays in the label";
  EXPECT_EQ(short_hostname("x\\046y.example"), "x\\046y");
  EXPECT_EQ(short_hostname("trailing\\"), "trailing\\");
}

TEST(HostNamesTest, FillsOnlyMissingHostnames) {
  FlowEvent e;
  e.src_fqdn = "client.lan";
  e.dest_fqdn = "api.example.com";
  e.dest_hostname = "already";
  fill_short_hostnames(e);
  EXPECT_EQ(e.src_hostname, "client");
  EXPECT_EQ(e.dest_hostname, "already");

  FlowEvent none;
  fill_short_hostnames(none);
  EXPECT_EQ(none.src_hostname, "");
  EXPECT_EQ(none.dest_hostname, "");
}

}  // namespace
}  // namespace procflow
