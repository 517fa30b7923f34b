// A private Prometheus; see prometheus_server.h.
#include "prometheus_server.h"

#include <httplib.h>
#include <rapidjson/document.h>

#include <fstream>
#include <thread>

namespace procflow_it {

PrometheusServer::PrometheusServer(int web_port, const std::string& target)
    : dir_("procflow-prometheus-"), web_port_(web_port) {
  config_path_ = (dir_.path() / "prometheus.yml").string();
  std::ofstream(config_path_) << "global:\n"
                              << "  scrape_interval: 1s\n"
                              << "  scrape_timeout: 1s\n"
                              << "scrape_configs:\n"
                              << "  - job_name: procflow\n"
                              << "    static_configs:\n"
                              << "      - targets: ['" << target << "']\n";
}

PrometheusServer::~PrometheusServer() {
  if (process_ && !process_->status()) process_->kill_group();
}

bool PrometheusServer::start(std::chrono::milliseconds timeout) {
  process_ = std::make_unique<SpawnedProcess>(std::vector<std::string>{
      "/usr/bin/prometheus", "--config.file=" + config_path_,
      "--storage.tsdb.path=" + (dir_.path() / "data").string(),
      "--web.listen-address=127.0.0.1:" + std::to_string(web_port_), "--log.level=warn"});
  httplib::Client client("127.0.0.1", web_port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->wait(0ms)) return false;  // exited
    const auto res = client.Get("/-/ready");
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

std::optional<double> PrometheusServer::value(const std::string& promql, std::string* error) const {
  httplib::Client client("127.0.0.1", web_port_);
  const auto res = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, {});
  if (!res || res->status != 200) {
    if (error) *error = res ? res->body : "no answer from Prometheus";
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(res->body.c_str());
  // {"status":"success","data":{"resultType":"vector","result":[{"metric":{..},"value":[t,"v"]}]}}
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data") ||
      !doc["data"].HasMember("result") || !doc["data"]["result"].IsArray()) {
    if (error) *error = "unexpected answer: " + res->body;
    return std::nullopt;
  }
  const auto& result = doc["data"]["result"];
  if (result.Size() != 1) {
    if (error) *error = std::to_string(result.Size()) + " series for " + promql + ": " + res->body;
    return std::nullopt;
  }
  const auto& sample = result[0]["value"];
  if (!sample.IsArray() || sample.Size() != 2 || !sample[1].IsString()) {
    if (error) *error = "unexpected sample: " + res->body;
    return std::nullopt;
  }
  return std::stod(sample[1].GetString());
}

std::string PrometheusServer::describe() const {
  return process_ ? process_->describe() : "prometheus not started";
}

}  // namespace procflow_it
