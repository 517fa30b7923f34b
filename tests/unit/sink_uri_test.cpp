// Tests the output URIs: stdout, files, and readable refusals.
#include "output/sink_uri.h"

#include "output/uri_parts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace procflow {
namespace {

TEST(SinkUriTest, StdoutAndFilesOpen) {
  std::string error;
  EXPECT_TRUE(open_sink("-", &error));
  EXPECT_TRUE(open_sink("stdout", &error));
  EXPECT_TRUE(is_stdout_uri("-"));
  EXPECT_FALSE(is_stdout_uri("file:/tmp/x"));
  char path[] = "/tmp/procflow-sink-uri-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    auto sink = open_sink(std::string("file:") + path, &error);
    ASSERT_TRUE(sink) << error;
    sink->write("one\n");
    sink->flush();
    EXPECT_EQ(sink->bytes_written(), 4u);
  }
  unlink(path);
}

TEST(SinkUriTest, BadUrisAreRefusedWithWhatIsExpected) {
  std::string error;
  EXPECT_FALSE(open_sink("file:", &error));
  EXPECT_NE(error.find("needs a path"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("ftp://x", &error));
  EXPECT_NE(error.find("unknown output 'ftp://x'"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("file:/nonexistent-dir/flows.json", &error));
  EXPECT_NE(error.find("cannot open /nonexistent-dir/flows.json"), std::string::npos) << error;
}

TEST(SinkUriTest, SyslogUrisOpenWithTheirOptions) {
  std::string error;
  EXPECT_TRUE(open_sink("syslog:", &error)) << error;
  EXPECT_TRUE(open_sink("syslog:/run/custom.sock?facility=local3&severity=notice", &error))
      << error;
  EXPECT_TRUE(open_sink("syslog+udp://127.0.0.1:514", &error)) << error;
  EXPECT_TRUE(open_sink("syslog+tcp://[::1]:6514?msgid=pf&hostname=h1", &error)) << error;
}

TEST(SinkUriTest, BadSyslogUrisAreRefused) {
  std::string error;
  EXPECT_FALSE(open_sink("syslog+udp://127.0.0.1", &error));
  EXPECT_NE(error.find("HOST:PORT"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("syslog+tcp://h:70000", &error));
  EXPECT_NE(error.find("port 1-65535"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("syslog:?facility=local9", &error));
  EXPECT_NE(error.find("facility=local9"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("syslog+udp://h:514?colour=red", &error));
  EXPECT_NE(error.find("unknown syslog option 'colour'"), std::string::npos) << error;
  EXPECT_FALSE(open_sink("syslog+udp://h:514/path", &error));
  EXPECT_NE(error.find("no path"), std::string::npos) << error;
}

TEST(SinkUriTest, NetworkAddressesAndOptionsAreSplit) {
  std::string error;
  const auto a = parse_network_address("[fe80::1]:8123/x?table=flows&password=p%26w", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "fe80::1");
  EXPECT_EQ(a->port, 8123);
  EXPECT_EQ(a->path, "/x");
  EXPECT_EQ(a->options.at("table"), "flows");
  EXPECT_EQ(a->options.at("password"), "p&w");
  EXPECT_FALSE(parse_network_address("h:1?bad", &error));
  EXPECT_FALSE(parse_network_address("h:1?x=%4", &error));
  UriOptions options{{"max_rows", "12"}, {"bad", "1x"}};
  EXPECT_EQ(numeric_option(options, "max_rows", 5, 1, 100, &error), 12u);
  EXPECT_EQ(numeric_option(options, "absent", 5, 1, 100, &error), 5u);
  EXPECT_EQ(numeric_option(options, "bad", 5, 1, 100, &error), std::nullopt);
  EXPECT_EQ(numeric_option(options, "max_rows", 5, 20, 100, &error), std::nullopt);
}

}  // namespace
}  // namespace procflow
