#include "output/sink_uri.h"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "output/clickhouse_sink.h"
#include "output/line_sink.h"
#include "output/syslog_sink.h"
#include "output/uri_parts.h"

namespace procflow {
namespace {

// facility, severity, hostname, msgid: the options every syslog URI takes.
std::optional<SyslogHeader> syslog_header(const UriOptions& options, std::string* error) {
  SyslogHeader header;
  for (const auto& [name, value] : options) {
    if (name == "facility") {
      const auto facility = syslog_facility(value);
      if (!facility) {
        *error = "facility=" + value + ": expected kern, user, daemon, local0..local7, ... or 0-23";
        return std::nullopt;
      }
      header.facility = *facility;
    } else if (name == "severity") {
      const auto severity = syslog_severity(value);
      if (!severity) {
        *error = "severity=" + value + ": expected emerg, alert, crit, err, warning, notice, " +
                 "info, debug or 0-7";
        return std::nullopt;
      }
      header.severity = *severity;
    } else if (name == "hostname") {
      header.hostname = value;
    } else if (name == "msgid") {
      header.msgid = value;
    } else {
      *error = "unknown syslog option '" + name + "' (facility, severity, hostname, msgid)";
      return std::nullopt;
    }
  }
  return header;
}

struct SyslogConfig {
  SyslogTarget target;
  SyslogHeader header;
};

std::optional<SyslogConfig> parse_syslog(std::string_view uri, std::string* error) {
  constexpr std::string_view local = "syslog:", udp = "syslog+udp://", tcp = "syslog+tcp://";
  SyslogTarget target;
  UriOptions options;
  if (uri.starts_with(udp) || uri.starts_with(tcp)) {
    const bool is_udp = uri.starts_with(udp);
    auto address = parse_network_address(uri.substr(is_udp ? udp.size() : tcp.size()), error);
    if (!address) return std::nullopt;
    if (!address->path.empty()) {
      *error = std::string(uri) + ": a syslog server URI has no path";
      return std::nullopt;
    }
    target.transport = is_udp ? SyslogTransport::udp : SyslogTransport::tcp;
    target.host = address->host;
    target.port = address->port;
    options = std::move(address->options);
  } else {
    std::string_view path;
    if (!split_options(uri.substr(local.size()), &path, &options, error)) return std::nullopt;
    if (!path.empty()) target.socket_path = std::string(path);
  }
  auto header = syslog_header(options, error);
  if (!header) return std::nullopt;
  return SyslogConfig{std::move(target), std::move(*header)};
}

std::optional<ClickHouseTarget> parse_clickhouse(std::string_view uri, std::string* error) {
  constexpr std::string_view scheme = "clickhouse+http://";
  auto address = parse_network_address(uri.substr(scheme.size()), error);
  if (!address) return std::nullopt;
  if (!address->path.empty() && address->path != "/") {
    *error = std::string(uri) + ": expected clickhouse+http://HOST:PORT/?table=NAME";
    return std::nullopt;
  }
  ClickHouseTarget target;
  target.host = address->host;
  target.port = address->port;
  const UriOptions& o = address->options;
  for (const auto& [name, value] : o) {
    static constexpr std::string_view known[] = {
        "table",      "database",         "user",          "password", "max_rows",
        "max_age_ms", "max_buffer_bytes", "max_backoff_ms"};
    if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
      *error = "unknown clickhouse option '" + name +
               "' (table, database, user, password, max_rows, max_age_ms, max_buffer_bytes, "
               "max_backoff_ms)";
      return std::nullopt;
    }
  }
  const auto table = o.find("table");
  if (table == o.end()) {
    *error = std::string(uri) + ": needs ?table=NAME";
    return std::nullopt;
  }
  target.table = table->second;
  if (const auto db = o.find("database"); db != o.end()) target.database = db->second;
  for (const std::string* name : {&target.table, &target.database}) {
    if (!is_plain_identifier(*name)) {
      *error = "'" + *name + "': a table or database name of letters, digits and '_'";
      return std::nullopt;
    }
  }
  if (const auto user = o.find("user"); user != o.end()) target.user = user->second;
  if (const auto password = o.find("password"); password != o.end())
    target.password = password->second;
  const auto max_rows = numeric_option(o, "max_rows", target.max_rows, 1, 10'000'000, error);
  const auto max_age = numeric_option(o, "max_age_ms", target.max_age.count(), 1, 3'600'000, error);
  const auto max_buffer =
      numeric_option(o, "max_buffer_bytes", target.max_buffer_bytes, 4096, 1ull << 34, error);
  const auto max_backoff =
      numeric_option(o, "max_backoff_ms", target.max_backoff.count(), 100, 600'000, error);
  if (!max_rows || !max_age || !max_buffer || !max_backoff) return std::nullopt;
  target.max_rows = *max_rows;
  target.max_age = std::chrono::milliseconds(*max_age);
  target.max_buffer_bytes = *max_buffer;
  target.max_backoff = std::chrono::milliseconds(*max_backoff);
  return target;
}

struct FileConfig {
  std::string path;
  FileSinkOptions options;
};

// file:PATH[?options]; `file`: the options given apart, read under the URI's.
std::optional<FileConfig> parse_file(std::string_view uri, const FileSinkOptions& file,
                                     std::string* error) {
  constexpr std::string_view file_scheme = "file:";
  std::string file_uri(uri);
  FileConfig config{"", file};
  bool had_options = false;
  if (!take_file_uri_options(&file_uri, &config.options, &had_options, error)) return std::nullopt;
  config.path = file_uri.substr(file_scheme.size());
  if (config.path.empty()) {
    *error = "file: needs a path, e.g. file:/var/log/procflow/flows.json";
    return std::nullopt;
  }
  return config;
}

bool is_syslog_uri(std::string_view uri) {
  return uri.starts_with("syslog:") || uri.starts_with("syslog+udp://") ||
         uri.starts_with("syslog+tcp://");
}

std::string unknown_output(std::string_view uri) {
  return "unknown output '" + std::string(uri) +
         "': expected '-' (stdout), file:PATH, syslog:[SOCKET], syslog+udp://HOST:PORT or "
         "syslog+tcp://HOST:PORT, clickhouse+http://HOST:PORT/?table=NAME";
}

}  // namespace

std::string sink_uri_problem(std::string_view uri, const FileSinkOptions& file) {
  std::string error;
  if (is_stdout_uri(uri)) return error;
  if (uri.starts_with("file:")) {
    if (!parse_file(uri, file, &error)) return error;
  } else if (is_syslog_uri(uri)) {
    if (!parse_syslog(uri, &error)) return error;
  } else if (uri.starts_with("clickhouse+http://")) {
    if (!parse_clickhouse(uri, &error)) return error;
  } else {
    return unknown_output(uri);
  }
  return error;
}

bool is_stdout_uri(std::string_view uri) {
  return uri == "-" || uri == "stdout";
}

std::unique_ptr<Sink> open_sink(std::string_view uri, std::string* error) {
  return open_sink(uri, FileSinkOptions{}, error);
}

std::unique_ptr<Sink> open_sink(std::string_view uri, const FileSinkOptions& file,
                                std::string* error) {
  if (is_stdout_uri(uri)) return LineSink::to_fd(STDOUT_FILENO);
  if (uri.starts_with("file:")) {
    auto config = parse_file(uri, file, error);
    return config ? LineSink::to_file(config->path, config->options, error) : nullptr;
  }
  if (is_syslog_uri(uri)) {
    auto config = parse_syslog(uri, error);
    return config
               ? std::make_unique<SyslogSink>(std::move(config->target), std::move(config->header))
               : nullptr;
  }
  if (uri.starts_with("clickhouse+http://")) {
    auto target = parse_clickhouse(uri, error);
    return target ? std::make_unique<ClickHouseSink>(std::move(*target)) : nullptr;
  }
  *error = unknown_output(uri);
  return nullptr;
}

}  // namespace procflow
