// HTTP proto_info expectations; see http_proto_info.h.
#include "http_proto_info.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace procflow_it {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::map<std::string, std::string> http_proto_info(const Turn& turn) {
  std::map<std::string, std::string> info;
  std::istringstream lines(turn.bytes);
  std::string first;
  std::getline(lines, first);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  std::istringstream words(first);
  std::string a, b, rest;
  words >> a >> b;
  std::getline(words, rest);
  if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  if (turn.from == TurnFrom::client) {
    info = {{"method", a}, {"target", b}, {"version", rest}};
    for (std::string line; std::getline(lines, line) && line != "\r";) {
      if (line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      const std::string name = lower(line.substr(0, colon));
      const std::string value = line.substr(line.find_first_not_of(' ', colon + 1));
      if (name == "host") info["host"] = value;
      if (name == "user-agent") info["user_agent"] = value;
    }
  } else {
    info = {{"version", a}, {"status", b}, {"reason", rest}};
  }
  return info;
}

}  // namespace procflow_it
