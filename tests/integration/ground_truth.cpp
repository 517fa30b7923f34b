// Parsing of the helper programs' ground-truth lines; see ground_truth.h.
#include "ground_truth.h"

#include "helper_programs.h"
#include "json_line.h"

namespace procflow_it {
namespace {

std::optional<ClientTruth> to_client_truth(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    auto json = JsonLine::parse(line);
    if (!json || !json->integer("pid")) continue;
    ClientTruth truth;
    truth.pid = *json->integer("pid");
    truth.local_port = json->integer("local_port").value_or(0);
    truth.sent = json->integer("sent").value_or(0);
    truth.received = json->integer("received").value_or(0);
    truth.error = json->str("error").value_or("");
    return truth;
  }
  return std::nullopt;
}

// A worker line: finished (with byte counts) or only accepted.
std::optional<WorkerTruth> to_worker_truth(const std::string& line, bool finished) {
  auto json = JsonLine::parse(line);
  if (!json || !json->integer("worker_pid")) return std::nullopt;
  if (json->boolean("accepted").value_or(false) == finished) return std::nullopt;
  WorkerTruth truth;
  truth.worker_pid = *json->integer("worker_pid");
  truth.parent_pid = json->integer("parent_pid").value_or(-1);
  truth.peer_port = json->integer("peer_port").value_or(0);
  truth.received = json->integer("received").value_or(-1);
  truth.sent = json->integer("sent").value_or(-1);
  return truth;
}

}  // namespace

std::optional<ClientTruth> client_truth(const SpawnedProcess& client) {
  return to_client_truth(client.out().lines());
}

std::optional<ClientTruth> wait_client_truth(const SpawnedProcess& client,
                                             std::chrono::milliseconds timeout) {
  client.out().wait_for([](const auto& lines) { return to_client_truth(lines).has_value(); },
                        timeout);
  return client_truth(client);
}

namespace {

std::vector<std::string> prefork_server_argv(const std::string& ip, int port, int workers,
                                             int reply_bytes, ServerMode mode) {
  std::vector<std::string> argv = {helper_path(Helper::prefork_server), ip, std::to_string(port),
                                   std::to_string(workers), std::to_string(reply_bytes)};
  if (mode == ServerMode::echo) argv.push_back("--echo");
  return argv;
}

}  // namespace

PreforkServer::PreforkServer(const std::string& ip, int port, int workers, int reply_bytes,
                             ServerMode mode)
    : port_(port),
      process_(std::make_unique<SpawnedProcess>(
          prefork_server_argv(ip, port, workers, reply_bytes, mode))) {}

::testing::AssertionResult PreforkServer::wait_listening(std::chrono::milliseconds timeout) {
  auto listening = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      auto json = JsonLine::parse(line);
      if (json && json->boolean("listening").value_or(false)) return true;
    }
    return false;
  };
  if (!process_->out().wait_for(listening, timeout)) {
    process_->wait(0ms);
    return ::testing::AssertionFailure() << "prefork_server is not listening:\n"
                                         << process_->describe();
  }
  for (const auto& line : process_->out().lines()) {
    auto json = JsonLine::parse(line);
    if (json && json->boolean("listening").value_or(false)) {
      parent_pid_ = json->integer("pid").value_or(-1);
    }
  }
  return ::testing::AssertionSuccess();
}

std::optional<WorkerTruth> PreforkServer::wait_for_line(int64_t peer_port, bool finished,
                                                        std::chrono::milliseconds timeout) const {
  std::optional<WorkerTruth> found;
  process_->out().wait_for(
      [&](const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
          auto truth = to_worker_truth(line, finished);
          if (truth && truth->peer_port == peer_port) found = truth;
        }
        return found.has_value();
      },
      timeout);
  return found;
}

std::optional<WorkerTruth> PreforkServer::wait_for_peer(int64_t peer_port,
                                                        std::chrono::milliseconds timeout) const {
  return wait_for_line(peer_port, true, timeout);
}

std::optional<WorkerTruth> PreforkServer::wait_for_accept(int64_t peer_port,
                                                          std::chrono::milliseconds timeout) const {
  return wait_for_line(peer_port, false, timeout);
}

std::vector<WorkerTruth> PreforkServer::connections() const {
  std::vector<WorkerTruth> out;
  for (const auto& line : process_->out().lines()) {
    if (auto truth = to_worker_truth(line, true)) out.push_back(*truth);
  }
  return out;
}

}  // namespace procflow_it
