// See schema_validators.h.
#include "schema_validators.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace procflow::test {

const OcsfValidator& ocsf_validator() {
  static const OcsfValidator v(PROCFLOW_TEST_FIXTURES "/schemas/ocsf",
                               PROCFLOW_TEST_FIXTURES "/schemas/ocsf-supplement",
                               "network/network_activity.json");
  return v;
}

const EcsValidator& ecs_validator() {
  static const EcsValidator v(PROCFLOW_TEST_FIXTURES "/schemas/ecs/ecs_flat.yml", "procflow");
  return v;
}

rapidjson::Document parse_line(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size() - 1);
  EXPECT_FALSE(doc.HasParseError()) << line;
  EXPECT_TRUE(doc.IsObject()) << line;
  return doc;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string s;
  for (const std::string& e : errors) s += (s.empty() ? "" : "; ") + e;
  return s;
}

}  // namespace procflow::test
