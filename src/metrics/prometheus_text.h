// Prometheus text exposition format (version 0.0.4): metric families, each a
// HELP and TYPE line followed by its samples. Kept apart from what procflow
// measures so the format's rules (name and label syntax, escaping, one
// family's samples together) live in one place and are unit-tested alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace procflow {

using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  enum class Type { counter, gauge };

  // Starts a family; every sample() until the next family() belongs to it.
  // `name` is the full metric name (counters end in _total by convention).
  void family(std::string_view name, Type type, std::string_view help);
  void sample(const MetricLabels& labels, uint64_t value);
  void sample(const MetricLabels& labels, double value);
  void sample(uint64_t value) { sample({}, value); }
  void sample(double value) { sample({}, value); }

  const std::string& text() const { return text_; }

  // A label value as the format wants it: backslash, double quote and newline escaped.
  static void append_label_value(std::string& out, std::string_view value);

 private:
  void sample_prefix(const MetricLabels& labels);
  std::string text_;
  std::string name_;
};

}  // namespace procflow
