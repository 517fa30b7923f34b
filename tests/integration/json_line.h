// One flat JSON object per line, parsed with RapidJSON: the shape of both
// procflow's flow events and the helper programs' ground-truth lines. Typed
// accessors return nullopt for a missing field *or* a field of the wrong JSON
// type, so "pid is a string" fails a test just like "pid is missing".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace procflow_it {

class JsonLine {
 public:
  // Parses `line`; nullopt unless it is a single JSON object.
  static std::optional<JsonLine> parse(const std::string& line);

  const std::string& raw() const { return raw_; }
  bool has(const std::string& key) const { return fields_.count(key) != 0; }
  std::optional<std::string> str(const std::string& key) const;
  std::optional<int64_t> integer(const std::string& key) const;
  std::optional<bool> boolean(const std::string& key) const;
  // An integer inside a nested object: {"records":{"tcp_end":3}} -> 3.
  std::optional<int64_t> object_integer(const std::string& key, const std::string& inner) const;

 private:
  // Nested objects/arrays are kept as their JSON text (the contract is flat).
  using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;
  std::string raw_;
  std::map<std::string, Value> fields_;
};

// Parses every line; lines that are not JSON objects go to `malformed` if given.
std::vector<JsonLine> parse_lines(const std::vector<std::string>& lines,
                                  std::vector<std::string>* malformed = nullptr);

}  // namespace procflow_it
