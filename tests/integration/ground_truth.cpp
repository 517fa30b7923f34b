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

std::vector<ReuseConnectionTruth> reuse_client_truths(const SpawnedProcess& client) {
  std::vector<ReuseConnectionTruth> out;
  for (const auto& line : client.out().lines()) {
    auto json = JsonLine::parse(line);
    if (!json || !json->integer("pid") || !json->integer("index")) continue;
    ReuseConnectionTruth truth;
    truth.pid = *json->integer("pid");
    truth.index = *json->integer("index");
    truth.local_port = json->integer("local_port").value_or(0);
    truth.sent = json->integer("sent").value_or(-1);
    truth.received = json->integer("received").value_or(-1);
    truth.aborted = json->boolean("aborted").value_or(false);
    truth.error = json->str("error").value_or("");
    out.push_back(std::move(truth));
  }
  return out;
}

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

std::vector<std::string> launched(const std::vector<std::string>& launcher,
                                  std::vector<std::string> argv) {
  std::vector<std::string> out = launcher;
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::vector<std::string> prefork_server_argv(const std::string& ip, int port, int workers,
                                             int reply_bytes, ServerMode mode, int64_t echo_bytes) {
  std::vector<std::string> argv = {helper_path(Helper::prefork_server), ip, std::to_string(port),
                                   std::to_string(workers), std::to_string(reply_bytes)};
  if (mode == ServerMode::echo) argv.push_back("--echo");
  if (mode == ServerMode::echo_close) {
    argv.push_back("--echo-close");
    argv.push_back(std::to_string(echo_bytes));
  }
  return argv;
}

// Waits for a server's {"listening":true,"pid":..} line; its pid, or a failure.
::testing::AssertionResult wait_listening_line(SpawnedProcess& process, const char* what,
                                               std::chrono::milliseconds timeout,
                                               int64_t& pid_out) {
  auto listening = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      auto json = JsonLine::parse(line);
      if (json && json->boolean("listening").value_or(false)) return true;
    }
    return false;
  };
  if (!process.out().wait_for(listening, timeout)) {
    process.wait(0ms);  // reaps a server that died, so its exit status is described
    return ::testing::AssertionFailure() << what << " is not listening:\n" << process.describe();
  }
  for (const auto& line : process.out().lines()) {
    auto json = JsonLine::parse(line);
    if (json && json->boolean("listening").value_or(false)) {
      pid_out = json->integer("pid").value_or(-1);
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

PreforkServer::PreforkServer(const std::string& ip, int port, int workers, int reply_bytes,
                             ServerMode mode, const std::vector<std::string>& launcher,
                             int64_t echo_bytes)
    : port_(port),
      process_(std::make_unique<SpawnedProcess>(launched(
          launcher, prefork_server_argv(ip, port, workers, reply_bytes, mode, echo_bytes)))) {}

::testing::AssertionResult PreforkServer::wait_listening(std::chrono::milliseconds timeout) {
  return wait_listening_line(*process_, "prefork_server", timeout, parent_pid_);
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

namespace {

// A udp_peer per-peer line (it has a peer_port); nullopt for any other line.
std::optional<UdpPeerTruth> to_udp_peer_truth(const std::string& line) {
  auto json = JsonLine::parse(line);
  if (!json || !json->integer("pid") || !json->integer("peer_port")) return std::nullopt;
  UdpPeerTruth truth;
  truth.pid = *json->integer("pid");
  truth.local_ip = json->str("local_ip").value_or("");
  truth.local_port = json->integer("local_port").value_or(0);
  truth.peer = json->str("peer").value_or("");
  truth.peer_port = *json->integer("peer_port");
  truth.sent = json->integer("sent").value_or(-1);
  truth.received = json->integer("received").value_or(-1);
  truth.datagrams_sent = json->integer("datagrams_sent").value_or(-1);
  truth.datagrams_received = json->integer("datagrams_received").value_or(-1);
  truth.first_us = json->integer("first_us").value_or(0);
  truth.last_us = json->integer("last_us").value_or(0);
  return truth;
}

std::vector<UdpPeerTruth> to_udp_peer_truths(const std::vector<std::string>& lines,
                                             std::string* error) {
  std::vector<UdpPeerTruth> out;
  for (const auto& line : lines) {
    if (auto truth = to_udp_peer_truth(line)) {
      out.push_back(*truth);
    } else if (auto json = JsonLine::parse(line); json && json->str("error") && error) {
      *error = *json->str("error");
    }
  }
  return out;
}

}  // namespace

std::vector<UdpPeerTruth> udp_peer_truths(const SpawnedProcess& peer, std::string* error) {
  return to_udp_peer_truths(peer.out().lines(), error);
}

std::vector<UdpPeerTruth> wait_udp_peer_truths(const SpawnedProcess& peer, size_t count,
                                               std::chrono::milliseconds timeout) {
  peer.out().wait_for(
      [&](const std::vector<std::string>& lines) {
        std::string error;
        return to_udp_peer_truths(lines, &error).size() >= count || !error.empty();
      },
      timeout);
  return udp_peer_truths(peer);
}

UdpServer::UdpServer(const std::string& ip, int port, int datagrams, int reply_factor,
                     const std::vector<std::string>& launcher)
    : port_(port),
      process_(std::make_unique<SpawnedProcess>(
          launched(launcher, {helper_path(Helper::udp_peer), "server", ip, std::to_string(port),
                              std::to_string(datagrams), std::to_string(reply_factor)}))) {}

::testing::AssertionResult UdpServer::wait_listening(std::chrono::milliseconds timeout) {
  return wait_listening_line(*process_, "udp_peer server", timeout, pid_);
}

std::optional<UdpPeerTruth> UdpServer::wait_for_peer(int64_t peer_port,
                                                     std::chrono::milliseconds timeout) const {
  std::optional<UdpPeerTruth> found;
  process_->out().wait_for(
      [&](const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
          auto truth = to_udp_peer_truth(line);
          if (truth && truth->peer_port == peer_port) found = truth;
        }
        return found.has_value();
      },
      timeout);
  return found;
}

}  // namespace procflow_it
