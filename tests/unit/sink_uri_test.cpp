// Tests the output URIs: stdout, files, and readable refusals.
#include "output/sink_uri.h"

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

}  // namespace
}  // namespace procflow
