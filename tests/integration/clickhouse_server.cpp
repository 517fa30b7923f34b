// A private clickhouse-server; see clickhouse_server.h.
#include "clickhouse_server.h"

#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "http_ready.h"

namespace procflow_it {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ClickHouseServer::ClickHouseServer(int http_port, int tcp_port)
    : dir_("procflow-clickhouse-"), http_port_(http_port), tcp_port_(tcp_port) {
  const std::string dir = dir_.path().string();
  config_path_ = dir + "/config.xml";
  std::ofstream config(config_path_);
  // The smallest config 18.16 runs with (and current servers accept): no
  // interserver port, no other listeners, the default user without a
  // password from 127.0.0.1 only.
  config << "<?xml version=\"1.0\"?>\n<yandex>\n"
         << "  <logger><level>warning</level><log>" << dir << "/server.log</log><errorlog>" << dir
         << "/error.log</errorlog><console>0</console></logger>\n"
         << "  <http_port>" << http_port << "</http_port>\n"
         << "  <tcp_port>" << tcp_port << "</tcp_port>\n"
         << "  <listen_host>127.0.0.1</listen_host>\n"
         << "  <path>" << dir << "/data/</path>\n"
         << "  <tmp_path>" << dir << "/tmp/</tmp_path>\n"
         << "  <user_files_path>" << dir << "/user_files/</user_files_path>\n"
         << "  <format_schema_path>" << dir << "/format_schemas/</format_schema_path>\n"
         << "  <timezone>UTC</timezone>\n"
         << "  <mark_cache_size>67108864</mark_cache_size>\n"
         << "  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
         << "<profile>default</profile><quota>default</quota></default></users>\n"
         << "  <profiles><default></default></profiles>\n"
         << "  <quotas><default></default></quotas>\n"
         << "</yandex>\n";
}

ClickHouseServer::~ClickHouseServer() {
  if (process_ && !process_->status()) process_->kill_group();
}

bool ClickHouseServer::start(std::chrono::milliseconds timeout) {
  process_ = std::make_unique<SpawnedProcess>(
      std::vector<std::string>{"/usr/sbin/clickhouse-server", "--config-file=" + config_path_});
  return wait_until_http_ok(*process_, http_port_, "/ping", timeout);
}

void ClickHouseServer::stop(std::chrono::milliseconds timeout) {
  if (!process_ || process_->status()) return;
  process_->signal(SIGTERM);
  if (!process_->wait(timeout)) process_->kill_group();
}

std::optional<std::string> ClickHouseServer::query(const std::string& sql,
                                                   std::string* error) const {
  httplib::Client client("127.0.0.1", http_port_);
  const auto res = client.Post("/", sql, "text/plain");
  if (res && res->status == 200) return res->body;
  if (error)
    *error = res ? "HTTP " + std::to_string(res->status) + ": " + res->body
                 : httplib::to_string(res.error());
  return std::nullopt;
}

bool ClickHouseServer::run_file(const std::string& path, std::string* error) const {
  std::istringstream in(read_file(path));
  std::string sql, line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t") != std::string::npos &&
        line.substr(line.find_first_not_of(" \t")).starts_with("--"))
      continue;
    sql += line + "\n";
  }
  if (sql.find_first_not_of(" \t\n") == std::string::npos) {
    *error = path + " has no statements";
    return false;
  }
  size_t start = 0;
  for (size_t semi; (semi = sql.find(';', start)) != std::string::npos; start = semi + 1) {
    const std::string statement = sql.substr(start, semi - start);
    if (statement.find_first_not_of(" \t\n") == std::string::npos) continue;
    if (!query(statement, error)) return false;
  }
  return true;
}

std::string ClickHouseServer::describe() const {
  const std::string dir = dir_.path().string();
  return (process_ ? process_->describe() : std::string("not started\n")) + "error.log:\n" +
         read_file(dir + "/error.log");
}

}  // namespace procflow_it
