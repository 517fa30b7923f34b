// `--schema ocsf|ecs` through the binary: `procflow replay` of a capture
// writes one object per flow event, each valid against the vendored OCSF /
// ECS definitions (the same validators as the writers' unit tests), and no
// `lost` object (those schemas have none); text is refused for them.
#include <gtest/gtest.h>

#include <sstream>

#include "run_binary.h"
#include "schema_validators.h"

#ifndef PROCFLOW_BINARY
#error "PROCFLOW_BINARY must name the procflow executable (tests/CMakeLists.txt)"
#endif

namespace procflow {
namespace {

std::vector<std::string> replay_lines(const std::string& schema) {
  const BinaryRun run =
      run_binary({PROCFLOW_BINARY, "replay", "--schema", schema,
                  std::string(PROCFLOW_TEST_FIXTURES) + "/pcap/dns/dns_ambiguous_names.pcap"},
                 std::chrono::seconds(20));
  EXPECT_TRUE(run.exited && run.exit_status == 0) << run.describe();
  std::vector<std::string> lines;
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  return lines;
}

TEST(SchemaCliTest, ReplayAsOcsfIsValidNetworkActivity) {
  const auto lines = replay_lines("ocsf");
  ASSERT_GT(lines.size(), 4u);
  for (const std::string& line : lines) {
    const rapidjson::Document doc = test::parse_line(line);
    const auto errors = test::ocsf_validator().validate(doc);
    EXPECT_TRUE(errors.empty()) << test::joined(errors) << "\n" << line;
    EXPECT_EQ(doc["class_uid"].GetInt(), 4001) << line;
  }
}

TEST(SchemaCliTest, ReplayAsEcsIsValidEcs) {
  const auto lines = replay_lines("ecs");
  ASSERT_GT(lines.size(), 4u);
  for (const std::string& line : lines) {
    const rapidjson::Document doc = test::parse_line(line);
    const auto errors = test::ecs_validator().validate(doc);
    EXPECT_TRUE(errors.empty()) << test::joined(errors) << "\n" << line;
  }
}

TEST(SchemaCliTest, TheSameFlowsInEverySchema) {
  EXPECT_EQ(replay_lines("ocsf").size(), replay_lines("car").size());
  EXPECT_EQ(replay_lines("ecs").size(), replay_lines("car").size());
}

TEST(SchemaCliTest, TextIsForTheCarSchemaOnly) {
  const BinaryRun run =
      run_binary({PROCFLOW_BINARY, "replay", "--schema", "ocsf", "--format", "text", "-"},
                 std::chrono::seconds(20));
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, 2) << run.describe();
  EXPECT_NE(run.err.find("the text layout exists for the car schema only; ocsf is written as JSON"),
            std::string::npos)
      << run.describe();
}

}  // namespace
}  // namespace procflow
