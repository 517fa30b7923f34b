// The validators over the vendored definitions, loaded once per test process (the ECS file is
// 1.2 MB of YAML), and a parser for one emitted line.
#pragma once

#include <rapidjson/document.h>

#include <string>

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

}  // namespace procflow::test
