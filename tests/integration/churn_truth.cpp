// Parsing of churn_driver's and churn_worker's lines; see churn_truth.h.
#include "churn_truth.h"

#include <filesystem>

#include "json_line.h"

namespace procflow_it {

std::string ChurnJob::exe() const {
  return std::filesystem::path(image).filename().string();
}

std::map<int64_t, std::vector<std::string>> ChurnTruth::reused_pids() const {
  std::map<int64_t, std::vector<std::string>> by_pid;
  for (const auto& spawn : spawns) by_pid[spawn.pid].push_back(spawn.image);
  std::erase_if(by_pid, [](const auto& kv) { return kv.second.size() < 2; });
  return by_pid;
}

ChurnTruth parse_churn(const std::vector<std::string>& lines) {
  ChurnTruth truth;
  for (const auto& line : lines) {
    auto json = JsonLine::parse(line);
    if (!json) continue;
    // The summary first: it has a "spawned" count too.
    if (json->boolean("done").value_or(false)) {
      truth.summary = ChurnSummary{
          json->integer("spawned").value_or(0), json->integer("reused").value_or(0),
          json->integer("reuse_refused").value_or(0), json->integer("failed").value_or(0)};
    } else if (auto pid = json->integer("driver_pid")) {
      truth.driver_pid = *pid;
    } else if (auto seq = json->integer("spawned")) {
      truth.spawns.push_back(ChurnSpawn{*seq, json->integer("pid").value_or(-1),
                                        json->str("image").value_or(""),
                                        json->boolean("reused_pid").value_or(false)});
    } else if (json->integer("reaped")) {
      if (json->integer("exit_code").value_or(-1) != 0) truth.failures.push_back(line);
    } else if (auto seq = json->integer("seq")) {
      ChurnJob job;
      job.seq = *seq;
      job.step = json->integer("step").value_or(0);
      job.pid = json->integer("pid").value_or(-1);
      job.image = json->str("image").value_or("");
      job.job = json->str("job").value_or("");
      job.local_ip = json->str("local_ip").value_or("");
      job.local_port = json->integer("local_port").value_or(0);
      job.peer = json->str("peer").value_or("");
      job.peer_port = json->integer("peer_port").value_or(0);
      job.sent = json->integer("sent").value_or(0);
      job.received = json->integer("received").value_or(0);
      job.datagrams_sent = json->integer("datagrams_sent").value_or(0);
      job.datagrams_received = json->integer("datagrams_received").value_or(0);
      job.connect_us = json->integer("connect_us").value_or(0);
      job.error = json->str("error").value_or("");
      if (!job.error.empty()) truth.failures.push_back(line);
      truth.jobs.push_back(std::move(job));
    }
  }
  return truth;
}

}  // namespace procflow_it
