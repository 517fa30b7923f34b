// Checks one ECS document (a parsed JSON object, nested or with dotted keys) against the vendored
// ecs_flat.yml (tests/fixtures/schemas/ecs): required fields present, every leaf a field ECS
// defines (or under the custom namespace), of its type, an array exactly where ECS normalises the
// field to one, allowed and expected values respected, and event.type consistent with the
// event.category values' expected types. Test code.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace procflow::test {

class EcsValidator {
 public:
  // ecs_flat is the path of ecs_flat.yml; fields under custom_namespace (e.g. "procflow") are
  // the producer's own and are not checked.
  EcsValidator(const std::string& ecs_flat, std::string custom_namespace);

  // Every violation found, each naming the field; empty when the document is valid.
  std::vector<std::string> validate(const rapidjson::Value& doc) const;

  size_t field_count() const { return fields_.size(); }

 private:
  struct Field {
    std::string type;
    bool array = false;
    bool required = false;
    std::set<std::string> allowed;  // allowed_values or expected_values; empty = any
    // For event.category: each allowed category's expected event.type values.
    std::map<std::string, std::set<std::string>> expected_event_types;
  };

  void walk(const rapidjson::Value& v, const std::string& path, std::vector<std::string>& errors,
            std::set<std::string>& seen) const;
  void check_field(const Field& f, const rapidjson::Value& v, const std::string& path,
                   std::vector<std::string>& errors) const;
  void check_scalar(const Field& f, const rapidjson::Value& v, const std::string& path,
                    std::vector<std::string>& errors) const;

  std::unordered_map<std::string, Field> fields_;
  std::set<std::string> prefixes_;  // every proper dotted prefix of a field name
  std::string custom_namespace_;
};

}  // namespace procflow::test
