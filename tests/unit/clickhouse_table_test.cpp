// The shipped ClickHouse table (deploy/clickhouse/flows.sql) has a column for
// every key a row can carry. The server skips keys the table lacks
// (input_format_skip_unknown_fields=1), so a missing column would lose that
// field without a word: here every event of the schema tests (every action,
// end reason and optional field) goes through the CAR writer and the row
// rewrite, and each key must be a column of the table.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "output/clickhouse_row.h"
#include "output/json_serializer.h"
#include "schema_test_events.h"

namespace procflow {
namespace {

std::set<std::string> table_columns() {
  std::ifstream in(PROCFLOW_SOURCE_DIR "/deploy/clickhouse/flows.sql");
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  // The body of the CREATE TABLE procflow.flows (...) statement.
  const size_t begin = sql.find("CREATE TABLE IF NOT EXISTS procflow.flows");
  const size_t end = sql.find("ENGINE = MergeTree", begin);
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  // A column line: indentation, a lower-case name, a type ("UInt8,", "String",
  // "DateTime('UTC'),").
  std::set<std::string> columns;
  static const std::regex column(R"(\s+([a-z_]+)\s+[A-Z][A-Za-z0-9]*(\(.*\))?,?\s*)");
  std::istringstream lines(sql.substr(begin, end - begin));
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, column)) columns.insert(m[1].str());
  }
  return columns;
}

TEST(ClickHouseTableTest, EveryKeyOfEveryEventHasAColumn) {
  const std::set<std::string> columns = table_columns();
  ASSERT_GT(columns.size(), 50u);  // the parse found the table
  std::set<std::string> keys_seen;
  for (const auto& named : test::schema_test_events()) {
    std::string line, row;
    append_json_line(named.event, line);
    ASSERT_TRUE(append_clickhouse_row(line, &row)) << named.name;
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(row.data(), row.size()).HasParseError()) << row;
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      const std::string key = it->name.GetString();
      keys_seen.insert(key);
      EXPECT_TRUE(columns.contains(key)) << named.name << ": no column for '" << key << "'";
    }
  }
  // The events reach the fields this table is about.
  for (const char* key : {"continued", "snapshot", "message_direction", "content_truncated",
                          "container_id", "pod_name", "end_reason", "timestamp_us"})
    EXPECT_TRUE(keys_seen.contains(key)) << key;
}

}  // namespace
}  // namespace procflow
