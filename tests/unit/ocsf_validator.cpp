// The OCSF validator (see ocsf_validator.h). Definitions are merged the way the OCSF schema
// compiler merges them: an attribute starts as its dictionary entry (type, is_array, enum); the
// class or object it is used in, and every class or object that one extends, may override its
// requirement, type and description and add enum values; `$include`d profiles add attributes
// tagged with the profile; constraints are inherited unless a definition states its own.
#include "ocsf_validator.h"

#include <rapidjson/istreamwrapper.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace procflow::test {
namespace {

namespace fs = std::filesystem;

rapidjson::Document read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  rapidjson::IStreamWrapper wrapper(in);
  rapidjson::Document doc;
  doc.ParseStream(wrapper);
  if (doc.HasParseError() || !doc.IsObject())
    throw std::runtime_error("not a JSON object: " + path.string());
  return doc;
}

std::string str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

std::string member_string(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? str(it->value) : std::string();
}

std::vector<std::string> string_list(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  for (const auto& item : v.GetArray())
    if (item.IsString()) out.push_back(str(item));
  return out;
}

// The event class file named `name` anywhere under the events directory.
fs::path find_event_file(const fs::path& events_dir, const std::string& name) {
  for (const auto& entry : fs::recursive_directory_iterator(events_dir))
    if (entry.path().extension() == ".json" && entry.path().stem() == name) return entry.path();
  throw std::runtime_error("event class " + name + " not found under " + events_dir.string());
}

const std::set<std::string> base_types = {"string_t", "integer_t", "long_t",
                                          "float_t",  "boolean_t", "json_t"};

}  // namespace

OcsfValidator::OcsfValidator(const std::string& schema_dir, const std::string& supplement_dir,
                             const std::string& event_file)
    : schema_dir_(schema_dir), supplement_dir_(supplement_dir) {
  dictionary_ = read_json(fs::path(schema_dir) / "dictionary.json");

  // Scalar types: follow each type's `type` to a base type, keeping the most derived
  // constraints.
  const rapidjson::Value& types = dictionary_["types"]["attributes"];
  for (auto it = types.MemberBegin(); it != types.MemberEnd(); ++it) {
    ScalarType t;
    std::string name = str(it->name);
    for (int depth = 0; depth < 8; ++depth) {
      const rapidjson::Value& def = types[name.c_str()];
      if (!t.regex && def.HasMember("regex"))
        t.regex.emplace(str(def["regex"]), std::regex::ECMAScript);
      if (!t.max_len && def.HasMember("max_len")) t.max_len = def["max_len"].GetUint64();
      if (!t.range && def.HasMember("range"))
        t.range.emplace(def["range"][0].GetInt64(), def["range"][1].GetInt64());
      const std::string parent = member_string(def, "type");
      if (parent.empty() || !types.HasMember(parent.c_str())) break;
      name = parent;
    }
    if (!base_types.count(name)) throw std::runtime_error("type without a base: " + str(it->name));
    t.base = name;
    types_.emplace(str(it->name), std::move(t));
  }

  event_ = load_definition((fs::path(schema_dir) / "events" / event_file).string(), false);
  // As the schema compiler does: class_uid and category_uid can only be this class's.
  fs::path categories_path = fs::path(schema_dir) / "categories.json";
  if (!fs::exists(categories_path)) categories_path = fs::path(supplement_dir) / "categories.json";
  const rapidjson::Document categories = read_json(categories_path);
  auto category = categories["attributes"].FindMember(event_.category.c_str());
  if (category == categories["attributes"].MemberEnd() || event_.uid < 0)
    throw std::runtime_error("no category or uid for class " + event_.name);
  const int64_t category_uid = category->value["uid"].GetInt64();
  event_.attributes["category_uid"].enum_keys = {std::to_string(category_uid)};
  event_.attributes["class_uid"].enum_keys = {std::to_string(category_uid * 1000 + event_.uid)};

  // Load every object the class can reach, breadth first; a type that names no object file is
  // remembered and reported only if an event uses it.
  std::vector<std::string> pending;
  auto enqueue = [&](const Definition& def) {
    for (const auto& [name, a] : def.attributes)
      if (!a.type.empty() && a.type != "object" && !types_.count(a.type) &&
          !objects_.count(a.type) && !missing_objects_.count(a.type))
        pending.push_back(a.type);
  };
  enqueue(event_);
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    if (objects_.count(name) || missing_objects_.count(name)) continue;
    fs::path path = fs::path(schema_dir) / "objects" / (name + ".json");
    if (!fs::exists(path)) path = fs::path(supplement_dir) / "objects" / (name + ".json");
    if (!fs::exists(path)) {
      missing_objects_.insert(name);
      continue;
    }
    objects_.emplace(name, load_definition(path.string(), true));
    enqueue(objects_.at(name));
  }
}

OcsfValidator::Definition OcsfValidator::load_definition(const std::string& path_text,
                                                         bool is_object) {
  const fs::path path(path_text);
  const rapidjson::Document doc = read_json(path);
  Definition def;
  const std::string parent = member_string(doc, "extends");
  if (!parent.empty()) {
    if (is_object) {
      fs::path parent_path = fs::path(schema_dir_) / "objects" / (parent + ".json");
      if (!fs::exists(parent_path))
        parent_path = fs::path(supplement_dir_) / "objects" / (parent + ".json");
      if (!fs::exists(parent_path))
        throw std::runtime_error(path.string() + " extends " + parent +
                                 ", defined neither in the schema nor in the supplement");
      def = load_definition(parent_path.string(), true);
    } else {
      def = load_definition(find_event_file(fs::path(schema_dir_) / "events", parent).string(),
                            false);
    }
  }
  def.name = member_string(doc, "name");
  if (doc.HasMember("uid")) def.uid = doc["uid"].GetInt64();
  if (doc.HasMember("category")) def.category = member_string(doc, "category");

  const rapidjson::Value& dict = dictionary_["attributes"];
  auto merge = [&](const std::string& name, const rapidjson::Value& entry,
                   const std::string& profile) {
    auto [it, added] = def.attributes.try_emplace(name);
    Attribute& a = it->second;
    if (added) {
      auto d = dict.FindMember(name.c_str());
      if (d != dict.MemberEnd()) {
        a.type = member_string(d->value, "type");
        a.is_array = d->value.HasMember("is_array") && d->value["is_array"].GetBool();
        if (d->value.HasMember("enum"))
          for (auto e = d->value["enum"].MemberBegin(); e != d->value["enum"].MemberEnd(); ++e)
            a.enum_keys.insert(str(e->name));
      }
      a.profile = profile;
    }
    if (!entry.IsObject()) return;
    if (entry.HasMember("requirement")) a.requirement = member_string(entry, "requirement");
    if (entry.HasMember("type")) a.type = member_string(entry, "type");
    if (entry.HasMember("is_array")) a.is_array = entry["is_array"].GetBool();
    if (entry.HasMember("enum"))
      for (auto e = entry["enum"].MemberBegin(); e != entry["enum"].MemberEnd(); ++e)
        a.enum_keys.insert(str(e->name));
  };

  const rapidjson::Value& attributes = doc["attributes"];
  // Profiles first, so that the definition's own entries override theirs. A profile file that
  // is not vendored adds nothing: its attributes stay unknown, so an event using them fails.
  if (attributes.HasMember("$include")) {
    for (const std::string& include : string_list(attributes["$include"])) {
      const fs::path profile_path = fs::path(schema_dir_) / include;
      if (!fs::exists(profile_path)) continue;
      const rapidjson::Document profile = read_json(profile_path);
      std::string profile_name = member_string(profile, "name");
      if (profile_name.empty()) profile_name = profile_path.stem().string();
      profiles_.insert(profile_name);
      const rapidjson::Value& pa = profile["attributes"];
      for (auto it = pa.MemberBegin(); it != pa.MemberEnd(); ++it)
        merge(str(it->name), it->value, profile_name);
    }
  }
  for (auto it = attributes.MemberBegin(); it != attributes.MemberEnd(); ++it) {
    const std::string name = str(it->name);
    if (name != "$include") merge(name, it->value, "");
  }

  auto c = doc.FindMember("constraints");
  if (c != doc.MemberEnd()) {
    def.at_least_one.clear();
    def.just_one.clear();
    if (c->value.HasMember("at_least_one"))
      def.at_least_one.push_back(string_list(c->value["at_least_one"]));
    if (c->value.HasMember("just_one")) def.just_one.push_back(string_list(c->value["just_one"]));
  }
  return def;
}

const OcsfValidator::Definition* OcsfValidator::object(const std::string& name) const {
  auto it = objects_.find(name);
  return it == objects_.end() ? nullptr : &it->second;
}

std::vector<std::string> OcsfValidator::validate(const rapidjson::Value& event) const {
  std::vector<std::string> errors;
  Context ctx{{}, &errors};
  if (event.IsObject() && event.HasMember("metadata") && event["metadata"].IsObject() &&
      event["metadata"].HasMember("profiles"))
    for (const std::string& p : string_list(event["metadata"]["profiles"])) ctx.profiles.insert(p);
  for (const std::string& p : ctx.profiles)
    if (!profiles_.count(p)) errors.push_back("metadata.profiles: unknown profile " + p);
  validate_object(event_, event, "", ctx);
  return errors;
}

void OcsfValidator::validate_object(const Definition& def, const rapidjson::Value& v,
                                    const std::string& path, const Context& ctx) const {
  const std::string where = path.empty() ? def.name : path;
  if (!v.IsObject()) {
    ctx.errors->push_back(where + ": expected an object (" + def.name + ")");
    return;
  }
  auto in_effect = [&](const Attribute& a) {
    return a.profile.empty() || ctx.profiles.count(a.profile) > 0;
  };
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string name = str(it->name);
    const std::string p = path.empty() ? name : path + "." + name;
    auto a = def.attributes.find(name);
    if (a == def.attributes.end()) {
      ctx.errors->push_back(p + ": unknown attribute (not in " + def.name + ")");
      continue;
    }
    if (!in_effect(a->second)) {
      ctx.errors->push_back(p + ": belongs to profile " + a->second.profile +
                            ", which metadata.profiles does not declare");
      continue;
    }
    validate_value(a->second, it->value, p, ctx);
  }
  for (const auto& [name, a] : def.attributes)
    if (a.requirement == "required" && in_effect(a) && !v.HasMember(name.c_str()))
      ctx.errors->push_back((path.empty() ? name : path + "." + name) +
                            ": required attribute missing");
  for (const auto& group : def.at_least_one) {
    size_t present = 0;
    for (const std::string& name : group) present += v.HasMember(name.c_str()) ? 1 : 0;
    if (present == 0 && !group.empty())
      ctx.errors->push_back(where + ": needs at least one of its constraint's attributes");
  }
  for (const auto& group : def.just_one) {
    size_t present = 0;
    for (const std::string& name : group) present += v.HasMember(name.c_str()) ? 1 : 0;
    if (present != 1) ctx.errors->push_back(where + ": needs exactly one of a just_one group");
  }
}

void OcsfValidator::validate_value(const Attribute& a, const rapidjson::Value& v,
                                   const std::string& path, const Context& ctx) const {
  if (!a.is_array) {
    validate_scalar(a, v, path, ctx);
    return;
  }
  if (!v.IsArray()) {
    ctx.errors->push_back(path + ": expected an array");
    return;
  }
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    validate_scalar(a, v[i], path + "[" + std::to_string(i) + "]", ctx);
}

void OcsfValidator::validate_scalar(const Attribute& a, const rapidjson::Value& v,
                                    const std::string& path, const Context& ctx) const {
  auto fail = [&](const std::string& why) { ctx.errors->push_back(path + ": " + why); };
  if (a.type.empty()) return fail("the dictionary gives this attribute no type");
  if (a.type == "object") {  // unmapped: any object, its contents are the producer's
    if (!v.IsObject()) fail("expected an object");
    return;
  }
  auto t = types_.find(a.type);
  if (t == types_.end()) {
    const Definition* def = object(a.type);
    if (!def)
      return fail("object " + a.type + " has no definition (neither vendored nor supplemented)");
    validate_object(*def, v, path, ctx);
    return;
  }
  const ScalarType& type = t->second;
  std::string enum_key;
  if (type.base == "string_t") {
    if (!v.IsString()) return fail("expected a string (" + a.type + ")");
    const std::string s = str(v);
    if (type.max_len && s.size() > *type.max_len) fail("longer than " + a.type + " allows");
    if (type.regex && !std::regex_search(s, *type.regex))
      fail("\"" + s + "\" does not match " + a.type);
    enum_key = s;
  } else if (type.base == "integer_t" || type.base == "long_t") {
    if (!v.IsInt64()) return fail("expected an integer (" + a.type + ")");
    const int64_t n = v.GetInt64();
    if (type.base == "integer_t" &&
        (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max()))
      fail("out of a 32-bit integer's range (" + a.type + ")");
    if (type.range && (n < type.range->first || n > type.range->second))
      fail("out of " + a.type + "'s range");
    enum_key = std::to_string(n);
  } else if (type.base == "float_t") {
    if (!v.IsNumber()) fail("expected a number (" + a.type + ")");
    return;
  } else if (type.base == "boolean_t") {
    if (!v.IsBool()) fail("expected a boolean (" + a.type + ")");
    return;
  } else {  // json_t: any value
    return;
  }
  if (!a.enum_keys.empty() && !a.enum_keys.count(enum_key))
    fail("value " + enum_key + " is not in the attribute's enum");
}

}  // namespace procflow::test
