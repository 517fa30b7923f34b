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

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

const rapidjson::Value* at(const rapidjson::Value& doc, const std::string& path) {
  const rapidjson::Value* v = &doc;
  size_t begin = 0;
  while (true) {
    const size_t dot = path.find('.', begin);
    const std::string part = path.substr(begin, dot == std::string::npos ? dot : dot - begin);
    if (!v->IsObject() || !v->HasMember(part.c_str())) return nullptr;
    v = &(*v)[part.c_str()];
    if (dot == std::string::npos) return v;
    begin = dot + 1;
  }
}

int64_t integer(const rapidjson::Value& doc, const std::string& path) {
  const rapidjson::Value* v = at(doc, path);
  EXPECT_TRUE(v && v->IsInt64()) << path;
  return v && v->IsInt64() ? v->GetInt64() : -1;
}

std::string text(const rapidjson::Value& doc, const std::string& path) {
  const rapidjson::Value* v = at(doc, path);
  EXPECT_TRUE(v && v->IsString()) << path;
  return v && v->IsString() ? str(*v) : std::string();
}

std::vector<std::string> strings(const rapidjson::Value& doc, const std::string& path) {
  std::vector<std::string> out;
  const rapidjson::Value* v = at(doc, path);
  EXPECT_TRUE(v && v->IsArray()) << path;
  if (v && v->IsArray())
    for (const auto& item : v->GetArray()) out.push_back(str(item));
  return out;
}

}  // namespace procflow::test
