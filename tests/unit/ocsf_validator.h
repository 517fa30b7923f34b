// Checks one OCSF event (a parsed JSON object) against the vendored OCSF definitions of the
// Network Activity class (tests/fixtures/schemas/ocsf): the class's attributes and those of every
// class it extends, the profiles they include, each object by its own definition (with what it
// extends), and every attribute's type from the dictionary. Test code: it is slow and thorough.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace procflow::test {

class OcsfValidator {
 public:
  // schema_dir holds dictionary.json, events/, objects/, profiles/; supplement_dir/objects/ holds
  // objects schema_dir lacks. event_file is the class relative to schema_dir/events.
  OcsfValidator(const std::string& schema_dir, const std::string& supplement_dir,
                const std::string& event_file);

  // Every violation found, each naming the attribute's path; empty when the event is valid.
  // Checks: required attributes present (those of a profile only when metadata.profiles declares
  // it), the at_least_one/just_one constraints, no attribute the definitions lack (anything
  // inside an attribute of type "object", i.e. unmapped, is free), types (string, integer within
  // 32 bits, long, float, boolean, the types' regexes, lengths and ranges, arrays where is_array),
  // and enum values.
  std::vector<std::string> validate(const rapidjson::Value& event) const;

  // Names of the profiles the loaded class can use.
  const std::set<std::string>& profiles() const { return profiles_; }

 private:
  struct Attribute {
    std::string type;  // a type from the dictionary's types, "object", or an object's name
    bool is_array = false;
    std::string requirement;  // required, recommended, optional
    std::string profile;      // set when the attribute comes from a profile
    std::set<std::string> enum_keys;
  };
  struct Definition {
    std::string name;
    int64_t uid = -1;      // an event class's uid within its category
    std::string category;  // an event class's category
    std::map<std::string, Attribute> attributes;
    std::vector<std::vector<std::string>> at_least_one, just_one;
  };
  struct ScalarType {
    std::string base;  // string_t, integer_t, long_t, float_t, boolean_t, json_t
    std::optional<std::regex> regex;
    std::optional<size_t> max_len;
    std::optional<std::pair<int64_t, int64_t>> range;
  };
  struct Context {
    std::set<std::string> profiles;
    std::vector<std::string>* errors;
  };

  Definition load_definition(const std::string& path, bool is_object);
  const Definition* object(const std::string& name) const;
  void validate_object(const Definition& def, const rapidjson::Value& v, const std::string& path,
                       const Context& ctx) const;
  void validate_value(const Attribute& a, const rapidjson::Value& v, const std::string& path,
                      const Context& ctx) const;
  void validate_scalar(const Attribute& a, const rapidjson::Value& v, const std::string& path,
                       const Context& ctx) const;

  std::string schema_dir_, supplement_dir_;
  rapidjson::Document dictionary_;
  std::map<std::string, ScalarType> types_;
  Definition event_;
  std::map<std::string, Definition> objects_;
  std::set<std::string> missing_objects_;  // referenced but defined nowhere
  std::set<std::string> profiles_;
};

}  // namespace procflow::test
