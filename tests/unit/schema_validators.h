// The validators over the vendored definitions, loaded once per test process (the ECS file is
// 1.2 MB of YAML), and a parser for one emitted line.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ecs_validator.h"
#include "ocsf_validator.h"

namespace procflow::test {

const OcsfValidator& ocsf_validator();
const EcsValidator& ecs_validator();

// Parses one emitted line (exactly one '\n', at its end, valid UTF-8 JSON object); a failed
// check is a test failure.
rapidjson::Document parse_line(const std::string& line);

// "a; b; c" for a failure message.
std::string joined(const std::vector<std::string>& errors);

// Reading an emitted document in the tests: the value at a dotted path
// ("event.category"), or nullptr; typed reads record a failure when the value
// is missing or of another type.
std::string str(const rapidjson::Value& v);
const rapidjson::Value* at(const rapidjson::Value& doc, const std::string& path);
int64_t integer(const rapidjson::Value& doc, const std::string& path);
std::string text(const rapidjson::Value& doc, const std::string& path);
std::vector<std::string> strings(const rapidjson::Value& doc, const std::string& path);

}  // namespace procflow::test
