// RapidJSON-backed parsing of flat JSON lines; see json_line.h.
#include "json_line.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace procflow_it {

std::optional<JsonLine> JsonLine::parse(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  JsonLine out;
  out.raw_ = line;
  for (const auto& member : doc.GetObject()) {
    const auto& v = member.value;
    Value value;
    if (v.IsBool()) {
      value = v.GetBool();
    } else if (v.IsInt64()) {
      value = v.GetInt64();
    } else if (v.IsNumber()) {
      value = v.GetDouble();
    } else if (v.IsString()) {
      value = std::string(v.GetString(), v.GetStringLength());
    } else if (!v.IsNull()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      v.Accept(writer);
      value = std::string(buffer.GetString(), buffer.GetSize());
    }
    out.fields_[member.name.GetString()] = std::move(value);
  }
  return out;
}

std::optional<std::string> JsonLine::str(const std::string& key) const {
  auto it = fields_.find(key);
  if (it == fields_.end()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return std::nullopt;
}

std::optional<int64_t> JsonLine::integer(const std::string& key) const {
  auto it = fields_.find(key);
  if (it == fields_.end()) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&it->second)) return *i;
  return std::nullopt;
}

std::optional<int64_t> JsonLine::object_integer(const std::string& key,
                                                const std::string& inner) const {
  auto nested = str(key);  // nested objects are kept as their JSON text
  if (!nested) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(nested->c_str(), nested->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(inner.c_str())) return std::nullopt;
  const auto& v = doc[inner.c_str()];
  if (!v.IsInt64()) return std::nullopt;
  return v.GetInt64();
}

std::optional<bool> JsonLine::boolean(const std::string& key) const {
  auto it = fields_.find(key);
  if (it == fields_.end()) return std::nullopt;
  if (const auto* b = std::get_if<bool>(&it->second)) return *b;
  return std::nullopt;
}

std::vector<JsonLine> parse_lines(const std::vector<std::string>& lines,
                                  std::vector<std::string>* malformed) {
  std::vector<JsonLine> out;
  out.reserve(lines.size());
  for (const auto& line : lines) {
    if (auto parsed = JsonLine::parse(line)) {
      out.push_back(std::move(*parsed));
    } else if (malformed) {
      malformed->push_back(line);
    }
  }
  return out;
}

}  // namespace procflow_it
