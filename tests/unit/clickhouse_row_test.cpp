// Tests the rewrite of event lines into ClickHouse rows: times split into a
// DateTime second and microseconds, everything else untouched, non-flow
// lines refused.
#include "output/clickhouse_row.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

TEST(ClickHouseRowTest, TimesBecomeSecondsAndMicroseconds) {
  std::string row;
  ASSERT_TRUE(append_clickhouse_row(
      R"({"object":"flow","action":"end","timestamp":"2026-11-28T06:24:17.132530Z",)"
      R"("start_time":"2026-11-28T06:24:16.000001Z","exe":"curl",)"
      R"("end_time":"2026-11-28T06:24:17.000000Z","in_bytes":5})",
      &row));
  EXPECT_EQ(row, R"({"object":"flow","action":"end","timestamp":"2026-11-28 06:24:17",)"
                 R"("timestamp_us":132530,"start_time":"2026-11-28 06:24:16","start_time_us":1,)"
                 R"("exe":"curl","end_time":"2026-11-28 06:24:17","end_time_us":0,"in_bytes":5})"
                 "\n");
}

TEST(ClickHouseRowTest, KeysInsideStringsAndOtherShapesAreLeftAlone) {
  std::string row;
  // A value that looks like a key (quotes escaped), and a time of another shape.
  const std::string line =
      R"({"object":"flow","image_path":"/tmp/\"timestamp\":\"x","timestamp":"1700000000"})";
  ASSERT_TRUE(append_clickhouse_row(line, &row));
  EXPECT_EQ(row, line + "\n");
}

TEST(ClickHouseRowTest, OnlyFlowEventsBecomeRows) {
  std::string row = "kept\n";
  EXPECT_FALSE(append_clickhouse_row(R"({"object":"lost","records":{"tcp_end":3}})", &row));
  EXPECT_FALSE(append_clickhouse_row(R"({"comm":"\"object\":\"flow\""})", &row));
  EXPECT_EQ(row, "kept\n");
}

}  // namespace
}  // namespace procflow
