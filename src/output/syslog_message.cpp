// RFC 5424 formatting and RFC 6587 framing (see syslog_message.h).
#include "output/syslog_message.h"

#include <array>
#include <charconv>
#include <ctime>
#include <utility>

namespace procflow {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 24> kFacilities{{
    {"kern", 0},          {"user", 1},    {"mail", 2},    {"daemon", 3},    {"auth", 4},
    {"syslog", 5},        {"lpr", 6},     {"news", 7},    {"uucp", 8},      {"cron", 9},
    {"authpriv", 10},     {"ftp", 11},    {"ntp", 12},    {"security", 13}, {"console", 14},
    {"solaris-cron", 15}, {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
    {"local4", 20},       {"local5", 21}, {"local6", 22}, {"local7", 23},
}};

constexpr std::array<std::pair<std::string_view, int>, 8> kSeverities{{
    {"emerg", 0},
    {"alert", 1},
    {"crit", 2},
    {"err", 3},
    {"warning", 4},
    {"notice", 5},
    {"info", 6},
    {"debug", 7},
}};

template <size_t N>
std::optional<int> by_name_or_number(const std::array<std::pair<std::string_view, int>, N>& table,
                                     std::string_view text, int max) {
  for (const auto& [name, value] : table)
    if (name == text) return value;
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size() && value >= 0 && value <= max)
    return value;
  return std::nullopt;
}

// A header field: NILVALUE when empty, at most `max` characters of PRINTUSASCII.
void append_field(std::string& out, std::string_view value, size_t max) {
  out.push_back(' ');
  if (value.empty()) {
    out.push_back('-');
    return;
  }
  for (size_t i = 0; i < value.size() && i < max; ++i) {
    const char c = value[i];
    out.push_back(c >= 33 && c <= 126 ? c : '_');
  }
}

}  // namespace

std::optional<int> syslog_facility(std::string_view name) {
  return by_name_or_number(kFacilities, name, 23);
}

std::optional<int> syslog_severity(std::string_view name) {
  return by_name_or_number(kSeverities, name, 7);
}

std::string format_syslog_message(const SyslogHeader& header,
                                  std::chrono::system_clock::time_point when,
                                  std::string_view msg) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(when.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(micros / 1'000'000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  const size_t stamp_len = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[16];
  const int fraction_len =
      snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros % 1'000'000));

  std::string out;
  out.reserve(96 + header.hostname.size() + msg.size());
  out.push_back('<');
  out += std::to_string(header.facility * 8 + header.severity);
  out += ">1 ";
  out.append(stamp, stamp_len);
  out.append(fraction, static_cast<size_t>(fraction_len));
  append_field(out, header.hostname, 255);
  append_field(out, header.app_name, 48);
  append_field(out, header.procid, 128);
  append_field(out, header.msgid, 32);
  out += " -";  // no structured data
  if (!msg.empty()) {
    out.push_back(' ');
    out.append(msg);
  }
  return out;
}

void append_octet_counted(std::string& out, std::string_view message) {
  out += std::to_string(message.size());
  out.push_back(' ');
  out.append(message);
}

}  // namespace procflow
