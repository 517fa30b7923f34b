// The ECS validator (see ecs_validator.h).
#include "ecs_validator.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <regex>
#include <stdexcept>

namespace procflow::test {
namespace {

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// ECS dates are ISO 8601 / RFC 3339 date-times (Elasticsearch's strict_date_optional_time).
bool is_date(const std::string& s) {
  static const std::regex date(
      R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$)");
  return std::regex_match(s, date);
}

const std::set<std::string> string_types = {"keyword", "constant_keyword", "wildcard",
                                            "match_only_text", "text"};
const std::set<std::string> number_types = {"float", "double", "scaled_float", "half_float"};

}  // namespace

EcsValidator::EcsValidator(const std::string& ecs_flat, std::string custom_namespace)
    : custom_namespace_(std::move(custom_namespace)) {
  const YAML::Node root = YAML::LoadFile(ecs_flat);
  if (!root.IsMap()) throw std::runtime_error("not a YAML map: " + ecs_flat);
  for (const auto& entry : root) {
    const std::string name = entry.first.as<std::string>();
    const YAML::Node& def = entry.second;
    Field f;
    f.type = def["type"].as<std::string>();
    if (const YAML::Node n = def["normalize"]; n && n.IsSequence())
      for (const auto& item : n) f.array |= item.as<std::string>() == "array";
    if (const YAML::Node r = def["required"]; r) f.required = r.as<bool>();
    if (const YAML::Node values = def["allowed_values"]; values && values.IsSequence()) {
      for (const auto& value : values) {
        const std::string v = value["name"].as<std::string>();
        f.allowed.insert(v);
        if (const YAML::Node types = value["expected_event_types"]; types && types.IsSequence())
          for (const auto& t : types) f.expected_event_types[v].insert(t.as<std::string>());
      }
    }
    if (const YAML::Node values = def["expected_values"]; values && values.IsSequence())
      for (const auto& value : values) f.allowed.insert(value.as<std::string>());
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
      prefixes_.insert(name.substr(0, dot));
    fields_.emplace(name, std::move(f));
  }
}

std::vector<std::string> EcsValidator::validate(const rapidjson::Value& doc) const {
  std::vector<std::string> errors;
  if (!doc.IsObject()) return {"the document is not a JSON object"};
  std::set<std::string> seen;
  walk(doc, "", errors, seen);
  for (const auto& [name, f] : fields_)
    if (f.required && !seen.count(name)) errors.push_back(name + ": required field missing");

  // event.type must be among the types ECS expects for the event's categories.
  auto category = fields_.find("event.category");
  const rapidjson::Value* categories = nullptr;
  const rapidjson::Value* types = nullptr;
  if (doc.HasMember("event") && doc["event"].IsObject()) {
    const rapidjson::Value& event = doc["event"];
    if (event.HasMember("category")) categories = &event["category"];
    if (event.HasMember("type")) types = &event["type"];
  }
  if (category != fields_.end() && categories && types && categories->IsArray() &&
      types->IsArray()) {
    std::set<std::string> expected;
    for (const auto& c : categories->GetArray()) {
      if (!c.IsString()) continue;
      auto it = category->second.expected_event_types.find(str(c));
      if (it != category->second.expected_event_types.end())
        expected.insert(it->second.begin(), it->second.end());
    }
    for (const auto& t : types->GetArray())
      if (t.IsString() && !expected.count(str(t)))
        errors.push_back("event.type: " + str(t) + " is not expected for the event's categories");
  }
  return errors;
}

void EcsValidator::walk(const rapidjson::Value& v, const std::string& path,
                        std::vector<std::string>& errors, std::set<std::string>& seen) const {
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string name = path.empty() ? str(it->name) : path + "." + str(it->name);
    if (name == custom_namespace_ || name.rfind(custom_namespace_ + ".", 0) == 0) {
      if (name == custom_namespace_ && !it->value.IsObject())
        errors.push_back(name + ": the custom namespace must be an object");
      continue;
    }
    auto f = fields_.find(name);
    if (f != fields_.end()) {
      seen.insert(name);
      check_field(f->second, it->value, name, errors);
    } else if (prefixes_.count(name) && it->value.IsObject()) {
      walk(it->value, name, errors, seen);
    } else {
      errors.push_back(name + ": not an ECS field");
    }
  }
}

void EcsValidator::check_field(const Field& f, const rapidjson::Value& v, const std::string& path,
                               std::vector<std::string>& errors) const {
  if (f.type == "object" || f.type == "flattened") {
    if (!v.IsObject()) errors.push_back(path + ": expected an object (" + f.type + ")");
    return;
  }
  if (f.type == "nested") {
    if (!v.IsArray()) errors.push_back(path + ": expected an array of objects (nested)");
    return;
  }
  if (f.array) {
    if (!v.IsArray()) {
      errors.push_back(path + ": ECS normalises this field to an array");
      return;
    }
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      check_scalar(f, v[i], path + "[" + std::to_string(i) + "]", errors);
    return;
  }
  if (v.IsArray()) {
    errors.push_back(path + ": not an array field in ECS");
    return;
  }
  check_scalar(f, v, path, errors);
}

void EcsValidator::check_scalar(const Field& f, const rapidjson::Value& v, const std::string& path,
                                std::vector<std::string>& errors) const {
  auto fail = [&](const std::string& why) { errors.push_back(path + ": " + why); };
  const std::string& t = f.type;
  if (string_types.count(t)) {
    if (!v.IsString()) return fail("expected a string (" + t + ")");
    if (!f.allowed.empty() && !f.allowed.count(str(v)))
      fail("\"" + str(v) + "\" is not an allowed or expected value");
  } else if (t == "long") {
    if (!v.IsInt64()) fail("expected an integer (long)");
  } else if (t == "integer") {
    if (!v.IsInt()) fail("expected a 32-bit integer (integer)");
  } else if (number_types.count(t)) {
    if (!v.IsNumber()) fail("expected a number (" + t + ")");
  } else if (t == "boolean") {
    if (!v.IsBool()) fail("expected a boolean");
  } else if (t == "date") {
    if (!v.IsString() || !is_date(str(v))) fail("expected an RFC 3339 date-time");
  } else if (t == "ip") {
    if (!v.IsString() || !is_ip(str(v))) fail("expected an IP address");
  } else if (t == "geo_point") {
    if (!v.IsObject() || !v.HasMember("lat") || !v.HasMember("lon"))
      fail("expected {lat, lon} (geo_point)");
  } else {
    fail("type " + t + " is not known to the validator");
  }
}

}  // namespace procflow::test
