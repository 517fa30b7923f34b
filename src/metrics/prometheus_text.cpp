#include "metrics/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace procflow {

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  name_.assign(name);
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  // HELP text escapes only backslash and newline.
  for (char c : help) {
    if (c == '\\')
      text_ += "\\\\";
    else if (c == '\n')
      text_ += "\\n";
    else
      text_ += c;
  }
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += type == Type::counter ? " counter\n" : " gauge\n";
}

void PrometheusText::append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void PrometheusText::sample_prefix(const MetricLabels& labels) {
  text_ += name_;
  if (labels.empty()) {
    text_ += ' ';
    return;
  }
  text_ += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) text_ += ',';
    first = false;
    text_ += key;
    text_ += "=\"";
    append_label_value(text_, value);
    text_ += '"';
  }
  text_ += "} ";
}

void PrometheusText::sample(const MetricLabels& labels, uint64_t value) {
  sample_prefix(labels);
  text_ += std::to_string(value);
  text_ += '\n';
}

void PrometheusText::sample(const MetricLabels& labels, double value) {
  sample_prefix(labels);
  if (std::isnan(value)) {
    text_ += "NaN\n";
    return;
  }
  if (std::isinf(value)) {
    text_ += value > 0 ? "+Inf\n" : "-Inf\n";
    return;
  }
  char buffer[32];
  // 15 significant digits: nanosecond sums of seconds stay exact, and no 0.1000000000000001 noise.
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  text_ += buffer;
  text_ += '\n';
}

}  // namespace procflow
