#include "config/yaml_fields.h"

#include <cmath>
#include <cstdlib>

namespace procflow {

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

void YamlFields::error(const YAML::Node& at, const std::string& path, const std::string& what) {
  const YAML::Mark mark = at.Mark();
  errors_->push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                     std::to_string(mark.column + 1) + ": " + (path.empty() ? "" : path + ": ") +
                     what);
}

void YamlFields::error_at(int line, int column, const std::string& what) {
  errors_->push_back(file_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
                     ": " + what);
}

bool YamlFields::map(const YAML::Node& node, const std::string& path,
                     std::initializer_list<std::string_view> known) {
  if (!node.IsMap()) {
    error(node, path, "expected a map of keys");
    return false;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    bool found = false;
    for (std::string_view k : known) found = found || key == k;
    if (found) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    error(entry.first, child_path(path, key), "unknown key; expected one of: " + list);
  }
  return true;
}

std::optional<std::string> YamlFields::text(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    error(node, path, "expected a text value");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> YamlFields::flag(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& v = node.Scalar();
    if (v == "true") return true;
    if (v == "false") return false;
  }
  error(node, path, "expected true or false, got '" + (node.IsScalar() ? node.Scalar() : "") + "'");
  return std::nullopt;
}

std::optional<uint64_t> YamlFields::whole(const YAML::Node& node, const std::string& path,
                                          const WholeRange& range) {
  const std::string expected = "expected " + std::string(range.what) + " between " +
                               std::to_string(range.lo) + " and " + std::to_string(range.hi);
  if (!node.IsScalar()) {
    error(node, path, expected);
    return std::nullopt;
  }
  const std::string& v = node.Scalar();
  // Plain decimal digits only: no sign, no 0x, no 1e3 (a config is read by people).
  bool digits = !v.empty() && v.size() <= 19;
  for (char c : v) digits = digits && c >= '0' && c <= '9';
  const uint64_t n = digits ? std::strtoull(v.c_str(), nullptr, 10) : 0;
  if (!digits || n < range.lo || n > range.hi) {
    error(node, path, expected + ", got '" + v + "'");
    return std::nullopt;
  }
  return n;
}

std::optional<double> YamlFields::real(const YAML::Node& node, const std::string& path,
                                       const RealRange& range) {
  const std::string expected = "expected " + std::string(range.unit) + " between " +
                               readable_number(range.lo) + " and " + readable_number(range.hi);
  if (!node.IsScalar()) {
    error(node, path, expected);
    return std::nullopt;
  }
  const std::string& v = node.Scalar();
  char* end = nullptr;
  const double d = v.empty() ? NAN : std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d) || d < range.lo || d > range.hi) {
    error(node, path, expected + ", got '" + v + "'");
    return std::nullopt;
  }
  return d;
}

std::vector<std::string> YamlFields::texts(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> out;
  each(node, path, [&](const YAML::Node& item, const std::string& item_path) {
    if (auto t = text(item, item_path)) {
      if (t->empty())
        error(item, item_path, "empty value");
      else
        out.push_back(*t);
    }
  });
  return out;
}

}  // namespace procflow
