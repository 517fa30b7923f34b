// RFC 5424 syslog messages for events, and the octet-counting frame of
// RFC 6587 that carries them over TCP. Pure functions: the transports are in
// syslog_sink.h.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// The fixed part of every message procflow sends (RFC 5424 section 6.2).
struct SyslogHeader {
  int facility = 1;      // user-level messages
  int severity = 6;      // informational
  std::string hostname;  // the sender's name; "-" (NILVALUE) when empty
  std::string app_name = "procflow";
  std::string procid;  // procflow's pid
  std::string msgid = "flow";
};

// Facility and severity by their usual names ("local0", "daemon", "info",
// "notice", ...) or numbers (0-23, 0-7); nullopt for anything else.
std::optional<int> syslog_facility(std::string_view name);
std::optional<int> syslog_severity(std::string_view name);

// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`: PRI is
// facility * 8 + severity, TIMESTAMP UTC with microseconds, no structured
// data, MSG the event as given (one JSON line, without its '\n'). Header
// fields are cut to their RFC lengths and any character outside printable
// US-ASCII becomes '_', so a strange hostname cannot break the header.
std::string format_syslog_message(const SyslogHeader& header,
                                  std::chrono::system_clock::time_point when, std::string_view msg);

// RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, appended to `out`.
void append_octet_counted(std::string& out, std::string_view message);

}  // namespace procflow
