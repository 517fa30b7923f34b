// Flow selection and value helpers for the integration tests; see flow_query.h.
#include "flow_query.h"

#include <arpa/inet.h>

#include <cstring>
#include <ctime>
#include <map>
#include <regex>

namespace procflow_it {

namespace {

// 4 or 16 address bytes; an IPv4-mapped IPv6 address (how a dual-stack
// socket names an IPv4 peer) counts as the IPv4 address it maps.
size_t address_bytes(const std::string& text, unsigned char out[16]) {
  if (inet_pton(AF_INET, text.c_str(), out) == 1) return 4;
  if (inet_pton(AF_INET6, text.c_str(), out) != 1) return 0;
  static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out, mapped, 12) != 0) return 16;
  std::memmove(out, out + 12, 4);
  return 4;
}

}  // namespace

bool same_ip(const std::string& a, const std::string& b) {
  unsigned char x[16] = {};
  unsigned char y[16] = {};
  const size_t n = address_bytes(a, x);
  return n != 0 && n == address_bytes(b, y) && std::memcmp(x, y, n) == 0;
}

bool ip6_in_prefix(const std::string& ip, const std::string& prefix) {
  auto slash = prefix.find('/');
  if (slash == std::string::npos) return false;
  int bits = std::stoi(prefix.substr(slash + 1));
  unsigned char a[16] = {};
  unsigned char p[16] = {};
  if (inet_pton(AF_INET6, ip.c_str(), a) != 1) return false;
  if (inet_pton(AF_INET6, prefix.substr(0, slash).c_str(), p) != 1) return false;
  for (int i = 0; i < bits; ++i) {
    int mask = 0x80 >> (i % 8);
    if ((a[i / 8] & mask) != (p[i / 8] & mask)) return false;
  }
  return true;
}

std::optional<int64_t> parse_rfc3339_us(const std::string& text) {
  static const std::regex format(
      R"((\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2})))");
  std::smatch m;
  if (!std::regex_match(text, m, format)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  int64_t us = static_cast<int64_t>(timegm(&tm)) * 1000000;
  if (m[7].matched) {
    std::string fraction = m[7].str();
    fraction.resize(6, '0');
    us += std::stoll(fraction);
  }
  if (m[9].matched) {
    int64_t offset = (std::stoll(m[10]) * 60 + std::stoll(m[11])) * 60 * 1000000;
    us += m[9] == "+" ? -offset : offset;
  }
  return us;
}

std::set<std::string> split_flags(const std::string& text) {
  std::set<std::string> flags;
  std::string current;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '|') {
      if (!current.empty()) flags.insert(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) flags.insert(current);
  return flags;
}

bool FlowSelector::matches(const JsonLine& event) const {
  if (event.str("object").value_or("") != "flow") return false;
  if (src_port && event.integer("src_port") != src_port) return false;
  if (dest_port && event.integer("dest_port") != dest_port) return false;
  if (initiated && event.boolean("initiated") != initiated) return false;
  if (pid && event.integer("pid") != pid) return false;
  if (transport && event.str("transport_protocol") != transport) return false;
  if (src_ip && !same_ip(event.str("src_ip").value_or(""), *src_ip)) return false;
  if (dest_ip && !same_ip(event.str("dest_ip").value_or(""), *dest_ip)) return false;
  return true;
}

std::vector<std::string> FlowSelector::mismatches(const JsonLine& event) const {
  std::vector<std::string> out;
  auto text = [&](const char* key) {
    if (auto s = event.str(key)) return *s;
    if (auto i = event.integer(key)) return std::to_string(*i);
    if (auto b = event.boolean(key)) return std::string(*b ? "true" : "false");
    return std::string(event.has(key) ? "(wrong type)" : "(missing)");
  };
  auto check_int = [&](const char* key, const std::optional<int64_t>& want) {
    if (want && event.integer(key) != want) {
      out.push_back(std::string(key) + " " + text(key) + " (want " + std::to_string(*want) + ")");
    }
  };
  auto check_ip = [&](const char* key, const std::optional<std::string>& want) {
    if (want && !same_ip(event.str(key).value_or(""), *want)) {
      out.push_back(std::string(key) + " " + text(key) + " (want " + *want + ")");
    }
  };
  if (event.str("object").value_or("") != "flow") out.push_back("object " + text("object"));
  check_ip("src_ip", src_ip);
  check_int("src_port", src_port);
  check_ip("dest_ip", dest_ip);
  check_int("dest_port", dest_port);
  if (initiated && event.boolean("initiated") != initiated) {
    out.push_back("initiated " + text("initiated"));
  }
  check_int("pid", pid);
  if (transport && event.str("transport_protocol") != transport) {
    out.push_back("transport_protocol " + text("transport_protocol") + " (want " + *transport +
                  ")");
  }
  return out;
}

std::string FlowSelector::describe() const {
  std::string out = transport ? *transport + " flow" : "flow";
  if (initiated) out += *initiated ? " (initiated)" : " (accepted)";
  out += " " + src_ip.value_or("*") + ":" + (src_port ? std::to_string(*src_port) : "*");
  out += " -> " + dest_ip.value_or("*") + ":" + (dest_port ? std::to_string(*dest_port) : "*");
  if (pid) out += " pid " + std::to_string(*pid);
  return out;
}

std::vector<const JsonLine*> Flow::all() const {
  std::vector<const JsonLine*> out;
  for (const auto* group : {&starts, &messages, &ends, &others}) {
    for (const auto& event : *group) out.push_back(&event);
  }
  return out;
}

Flow collect_flow(const std::vector<JsonLine>& events, const FlowSelector& selector) {
  Flow flow;
  for (const auto& event : events) {
    if (!selector.matches(event)) continue;
    std::string action = event.str("action").value_or("");
    if (action == "start") {
      flow.starts.push_back(event);
    } else if (action == "message") {
      flow.messages.push_back(event);
    } else if (action == "end") {
      flow.ends.push_back(event);
    } else {
      flow.others.push_back(event);
    }
  }
  return flow;
}

std::vector<Flow> collect_flows_by_start(const std::vector<JsonLine>& events,
                                         const FlowSelector& selector) {
  std::map<int64_t, std::vector<JsonLine>> by_start;  // -1: no readable start_time
  for (const auto& event : events) {
    if (!selector.matches(event)) continue;
    auto start = parse_rfc3339_us(event.str("start_time").value_or(""));
    by_start[start.value_or(-1)].push_back(event);
  }
  std::vector<Flow> out;
  for (const auto& [start, group] : by_start) out.push_back(collect_flow(group, selector));
  return out;
}

size_t count_events(const std::vector<JsonLine>& events, const FlowSelector& selector,
                    const std::string& action) {
  size_t n = 0;
  for (const auto& event : events) {
    if (selector.matches(event) && event.str("action") == action) ++n;
  }
  return n;
}

std::string near_misses(const std::vector<JsonLine>& events, const FlowSelector& selector) {
  std::string out;
  for (const auto& event : events) {
    if (selector.matches(event)) continue;
    bool shares_port = false;
    for (const char* key : {"src_port", "dest_port"}) {
      auto port = event.integer(key);
      shares_port |= port && (port == selector.src_port || port == selector.dest_port);
    }
    if (!shares_port) continue;
    std::string differences;
    for (const auto& m : selector.mismatches(event))
      differences += (differences.empty() ? "" : ", ") + m;
    out += "    " + event.str("action").value_or("?") + " event: " + differences + "\n";
  }
  return out;
}

std::string dump(const std::vector<JsonLine>& events) {
  std::string out;
  for (const auto& event : events) out += "  " + event.raw() + "\n";
  return out;
}

}  // namespace procflow_it
