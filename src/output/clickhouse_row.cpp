// Rewriting event lines into ClickHouse rows (see clickhouse_row.h).
#include "output/clickhouse_row.h"

#include <array>
#include <cctype>
#include <utility>

namespace procflow {
namespace {

// Where `"key":` starts as a top-level key of the object `line`, or npos. A
// quote inside a JSON string is always escaped, so `"key":` preceded by '{'
// or ',' cannot be part of a string value.
size_t find_key(std::string_view line, std::string_view quoted_key_colon) {
  for (size_t at = line.find(quoted_key_colon); at != std::string_view::npos;
       at = line.find(quoted_key_colon, at + 1)) {
    if (at > 0 && (line[at - 1] == '{' || line[at - 1] == ',')) return at;
  }
  return std::string_view::npos;
}

// "2026-11-28T06:24:17.132530Z": digits where digits belong.
bool is_rfc3339_micros(std::string_view v) {
  static constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (v.size() != shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(v[i])) : v[i] != shape[i])
      return false;
  }
  return true;
}

struct TimeField {
  std::string_view key;   // "timestamp"
  std::string_view head;  // "\"timestamp\":\""
};
constexpr std::array<TimeField, 3> kTimeFields{{
    {"timestamp", "\"timestamp\":\""},
    {"start_time", "\"start_time\":\""},
    {"end_time", "\"end_time\":\""},
}};

struct Rewrite {
  size_t value_at;  // first character of the time inside its quotes
  std::string_view key;
};

}  // namespace

bool append_clickhouse_row(std::string_view line, std::string* out) {
  if (find_key(line, "\"object\":\"flow\"") == std::string_view::npos) return false;
  std::array<Rewrite, kTimeFields.size()> rewrites;
  size_t count = 0;
  for (const TimeField& f : kTimeFields) {
    const size_t at = find_key(line, f.head);
    if (at == std::string_view::npos) continue;
    const size_t value_at = at + f.head.size();
    if (!is_rfc3339_micros(line.substr(value_at, 27)) || line.substr(value_at + 27, 1) != "\"")
      continue;  // another shape (another schema): passed as it is
    rewrites[count++] = {value_at, f.key};
  }
  // In the order they appear (at most three: a plain exchange sort).
  for (size_t i = 0; i < count; ++i)
    for (size_t j = i + 1; j < count; ++j)
      if (rewrites[j].value_at < rewrites[i].value_at) std::swap(rewrites[i], rewrites[j]);
  size_t copied = 0;
  for (size_t i = 0; i < count; ++i) {
    const Rewrite& r = rewrites[i];
    const std::string_view v = line.substr(r.value_at, 27);
    out->append(line.substr(copied, r.value_at - copied));
    out->append(v.substr(0, 10));  // date
    out->push_back(' ');
    out->append(v.substr(11, 8));  // time of day
    out->append("\",\"");
    out->append(r.key);
    out->append("_us\":");
    // Microseconds as a JSON number: no leading zeros.
    std::string_view micros = v.substr(20, 6);
    while (micros.size() > 1 && micros.front() == '0') micros.remove_prefix(1);
    out->append(micros);
    copied = r.value_at + 28;  // past the closing quote
  }
  out->append(line.substr(copied));
  out->push_back('\n');
  return true;
}

}  // namespace procflow
