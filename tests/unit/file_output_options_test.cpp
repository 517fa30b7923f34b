// The rotation and fsync settings of a file output, both ways they are written: the URI options
// of `--output` and the `rotate:`/`fsync:` keys of a config's output entry land in the same
// FileSinkOptions; what is wrong is refused with what is expected (and, in a config, where).
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/output_options.h"
#include "config/service_config.h"
#include "output/file_sink_options.h"
#include "output/sink_uri.h"

namespace procflow {
namespace {

FileSinkOptions expected(uint64_t max_size_bytes, uint32_t keep, FsyncPolicy fsync) {
  FileSinkOptions o;
  o.max_size_bytes = max_size_bytes;
  o.keep = keep;
  o.fsync = fsync;
  return o;
}

std::vector<OutputRoute> cli_routes(const std::vector<std::string>& uris, std::string* error) {
  OutputArgs args;
  args.outputs = uris;
  args.format = "json";
  std::vector<OutputRoute> routes;
  if (!build_output_routes(args, 65536, &routes, error)) return {};
  return routes;
}

std::vector<OutputRoute> config_routes(const std::string& yaml, std::vector<std::string>* errors) {
  ServiceConfig config;
  if (!parse_service_config(yaml, "test.yaml", &config, errors)) return {};
  return config.outputs;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

TEST(FileOutputOptions, TheUriAndTheConfigGiveTheSameStructure) {
  std::string error;
  const auto from_cli =
      cli_routes({"file:/var/log/pf/flows.json?max_size_kib=102400&keep=7&fsync=rotate"}, &error);
  ASSERT_EQ(from_cli.size(), 1u) << error;
  std::vector<std::string> errors;
  const auto from_config = config_routes(R"(
outputs:
  - uri: file:/var/log/pf/flows.json
    rotate: {max_size_kib: 102400, keep: 7}
    fsync: rotate
)",
                                         &errors);
  ASSERT_EQ(from_config.size(), 1u) << joined(errors);
  const FileSinkOptions want = expected(102400ull * 1024, 7, FsyncPolicy::rotate);
  EXPECT_EQ(from_cli[0].file, want);
  EXPECT_EQ(from_config[0].file, want);
  // The options live in the structure, not in the URI any more.
  EXPECT_EQ(from_cli[0].uri, "file:/var/log/pf/flows.json");
  EXPECT_EQ(from_config[0].uri, "file:/var/log/pf/flows.json");
}

TEST(FileOutputOptions, TheShippedConfigRotatesAndSyncsAtRotation) {
  ServiceConfig config;
  std::vector<std::string> errors;
  ASSERT_TRUE(load_service_config(std::string(PROCFLOW_SOURCE_DIR) + "/deploy/procflow.yaml",
                                  &config, &errors))
      << joined(errors);
  ASSERT_EQ(config.outputs.size(), 1u);
  EXPECT_EQ(config.outputs[0].file, expected(100ull << 20, 5, FsyncPolicy::rotate));
}

TEST(FileOutputOptions, DefaultsAndSingleOptions) {
  std::string error;
  const auto routes = cli_routes(
      {"file:/tmp/a.json", "file:/tmp/b.json?max_size_kib=1", "file:/tmp/c.json?fsync=batch", "-"},
      &error);
  ASSERT_EQ(routes.size(), 4u) << error;
  EXPECT_EQ(routes[0].file, FileSinkOptions{});
  EXPECT_FALSE(routes[0].file.rotates());
  EXPECT_EQ(routes[0].file.fsync, FsyncPolicy::never);
  EXPECT_EQ(routes[1].file, expected(1024, FileSinkOptions::default_keep, FsyncPolicy::never));
  EXPECT_EQ(routes[2].file, expected(0, FileSinkOptions::default_keep, FsyncPolicy::batch));
  EXPECT_EQ(routes[3].uri, "-");
  // The config: the same defaults; the uri may carry the options too.
  std::vector<std::string> errors;
  const auto from_config = config_routes(R"(
outputs:
  - uri: file:/tmp/a.json
    rotate: {max_size_kib: 1}
  - uri: file:/tmp/b.json?max_size_kib=2&keep=3
  - uri: file:/tmp/c.json
    fsync: batch
)",
                                         &errors);
  ASSERT_EQ(from_config.size(), 3u) << joined(errors);
  EXPECT_EQ(from_config[0].file, expected(1024, 5, FsyncPolicy::never));
  EXPECT_EQ(from_config[1].file, expected(2048, 3, FsyncPolicy::never));
  EXPECT_EQ(from_config[1].uri, "file:/tmp/b.json");
  EXPECT_EQ(from_config[2].file, expected(0, 5, FsyncPolicy::batch));
}

TEST(FileOutputOptions, BadUriOptionsAreRefusedWithWhatIsExpected) {
  const struct {
    std::string uri, message;
  } cases[] = {
      {"file:/tmp/x?max_size_kib=0",
       "max_size_kib=0: expected a whole number from 1 to 1073741824"},
      {"file:/tmp/x?max_size_kib=1k",
       "max_size_kib=1k: expected a whole number from 1 to 1073741824"},
      {"file:/tmp/x?max_size_kib=10&keep=0", "keep=0: expected a whole number from 1 to 1000"},
      {"file:/tmp/x?max_size_kib=10&keep=1001",
       "keep=1001: expected a whole number from 1 to 1000"},
      {"file:/tmp/x?keep=3", "keep=3: files are kept only when they rotate; add max_size_kib=N"},
      {"file:/tmp/x?fsync=always", "fsync=always: expected never, rotate or batch"},
      {"file:/tmp/x?size=10", "unknown file option 'size' (max_size_kib, keep, fsync)"},
      {"file:/tmp/x?keep", "option 'keep' is not NAME=VALUE"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_TRUE(cli_routes({c.uri}, &error).empty()) << c.uri;
    EXPECT_EQ(error, "--output " + c.uri + ": " + c.message);
    // open_sink (sink_bench, and every route when it opens) says the same.
    EXPECT_EQ(open_sink(c.uri, &error), nullptr) << c.uri;
    EXPECT_EQ(error, c.message);
  }
}

TEST(FileOutputOptions, BadConfigKeysAreRefusedWithFileLineAndColumn) {
  const struct {
    std::string yaml, message;
  } cases[] = {
      {"outputs:\n  - uri: file:/tmp/x\n    rotate: {keep: 3}\n",
       "test.yaml:3:13: outputs[0].rotate: needs max_size_kib, e.g. rotate: {max_size_kib: "
       "102400, keep: 5}"},
      {"outputs:\n  - uri: file:/tmp/x\n    rotate: {max_size_kib: 0}\n",
       "test.yaml:3:28: outputs[0].rotate.max_size_kib: expected a size in KiB between 1 and "
       "1073741824, got '0'"},
      {"outputs:\n  - uri: file:/tmp/x\n    rotate: {max_size_kib: 10, keep: 5000}\n",
       "test.yaml:3:38: outputs[0].rotate.keep: expected a number of files between 1 and 1000, "
       "got '5000'"},
      {"outputs:\n  - uri: file:/tmp/x\n    rotate: {max_size_kib: 10, count: 2}\n",
       "test.yaml:3:32: outputs[0].rotate.count: unknown key; expected one of: max_size_kib, keep"},
      {"outputs:\n  - uri: file:/tmp/x\n    rotate: 100\n",
       "test.yaml:3:13: outputs[0].rotate: expected a map of keys"},
      {"outputs:\n  - uri: file:/tmp/x\n    fsync: sometimes\n",
       "test.yaml:3:12: outputs[0].fsync: expected never, rotate or batch, got 'sometimes'"},
      {"outputs:\n  - uri: \"-\"\n    fsync: batch\n",
       "test.yaml:3:12: outputs[0].fsync: only a file: output takes it (this one is -)"},
      {"outputs:\n  - uri: \"syslog:\"\n    rotate: {max_size_kib: 10}\n",
       "test.yaml:3:13: outputs[0].rotate: only a file: output takes it (this one is syslog:)"},
      {"outputs:\n  - uri: file:/tmp/x?keep=2&max_size_kib=1\n    rotate: {max_size_kib: 10}\n",
       "test.yaml:3:13: outputs[0].rotate: the uri has file options (?...) already; give them in "
       "one place, the uri or the keys"},
      {"outputs:\n  - uri: file:/tmp/x?fsync=often\n",
       "test.yaml:2:10: outputs[0].uri: fsync=often: expected never, rotate or batch"},
  };
  for (const auto& c : cases) {
    ServiceConfig config;
    std::vector<std::string> errors;
    EXPECT_FALSE(parse_service_config(c.yaml, "test.yaml", &config, &errors)) << c.yaml;
    EXPECT_EQ(errors, std::vector<std::string>{c.message}) << c.yaml;
  }
}

}  // namespace
}  // namespace procflow
