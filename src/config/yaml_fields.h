// Reading a YAML config strictly: every value is checked for its type and
// range, every map for unknown keys, and every problem becomes one message
// naming the file, the line, the key's path and what was expected, e.g.
//   /etc/procflow/procflow.yaml:12:11: outputs[0].queue_kib: expected a size in KiB
//   between 64 and 4194304, got '10'
// Reading goes on after a problem, so one run lists them all.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/numeric_option.h"

namespace procflow {

class YamlFields {
 public:
  YamlFields(std::string file_name, std::vector<std::string>* errors)
      : file_(std::move(file_name)), errors_(errors) {}

  // Records "FILE:LINE:COL: PATH: what".
  void error(const YAML::Node& at, const std::string& path, const std::string& what);
  // For a parse error or an empty document: "FILE:LINE:COL: what".
  void error_at(int line, int column, const std::string& what);

  // Whether `node` is a map (an error if not); each key not among `known` is
  // an error listing the known ones (the others are still read).
  bool map(const YAML::Node& node, const std::string& path,
           std::initializer_list<std::string_view> known);
  std::optional<std::string> text(const YAML::Node& node, const std::string& path);
  std::optional<bool> flag(const YAML::Node& node, const std::string& path);
  std::optional<uint64_t> whole(const YAML::Node& node, const std::string& path,
                                const WholeRange& range);
  std::optional<double> real(const YAML::Node& node, const std::string& path,
                             const RealRange& range);
  // A sequence (a single scalar is not taken for a one-item list: a typo must
  // not change meaning); each item read by `read(item, "path[i]")`.
  template <typename Read>
  void each(const YAML::Node& node, const std::string& path, Read read) {
    if (!node.IsSequence()) {
      error(node, path, "expected a list, e.g. [a, b]");
      return;
    }
    for (size_t i = 0; i < node.size(); i++) read(node[i], path + "[" + std::to_string(i) + "]");
  }
  std::vector<std::string> texts(const YAML::Node& node, const std::string& path);

  bool ok() const { return errors_->empty(); }

 private:
  std::string file_;
  std::vector<std::string>* errors_;
};

// "outputs" + "uri" -> "outputs.uri"; "" + "uri" -> "uri".
std::string child_path(const std::string& parent, std::string_view key);

}  // namespace procflow
