// Shared fixture of the integration suites; see integration_test.h.
#include "integration_test.h"

#include <iostream>

#include "bpf_gate.h"

namespace procflow_it {

void IntegrationTest::SetUp() {
  PROCFLOW_REQUIRE_BPF_OR_SKIP();
  try {
    topology_ = std::make_unique<Topology>(topology_when_);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
}

void IntegrationTest::TearDown() {
  std::vector<ProcflowRunner*> runners;
  if (runner_) runners.push_back(runner_.get());
  for (const auto& extra : extra_runners_) runners.push_back(extra.get());
  for (ProcflowRunner* runner : runners) {
    auto malformed = runner->malformed_lines();
    EXPECT_TRUE(malformed.empty())
        << "procflow printed " << malformed.size()
        << " stdout line(s) that are not JSON objects, first: " << malformed.front();
  }
  if (!HasFailure()) return;
  std::cerr << "\n===== procflow =====\n" << (runner_ ? runner_->describe() : "not started\n");
  for (const auto& extra : extra_runners_) {
    std::cerr << "===== another procflow =====\n" << extra->describe();
  }
  for (const auto& server : servers_) {
    std::cerr << "===== server =====\n" << server->process().describe();
  }
  for (const auto& server : udp_servers_) {
    std::cerr << "===== UDP server =====\n" << server->process().describe();
  }
  for (const auto& client : clients_) std::cerr << "===== client =====\n" << client->describe();
}

void IntegrationTest::start_procflow(std::vector<std::string> extra_args) {
  start_procflow_on({topo().host_if()}, std::move(extra_args));
}

void IntegrationTest::start_procflow_on(std::vector<std::string> interfaces,
                                        std::vector<std::string> extra_args,
                                        std::vector<std::string> global_args) {
  runner_ =
      std::make_unique<ProcflowRunner>(interfaces, std::move(extra_args), std::move(global_args));
  ASSERT_TRUE(runner_->start());
}

void IntegrationTest::stop_procflow() {
  stop_procflow(*runner_);
}

ProcflowRunner* IntegrationTest::start_extra_procflow(std::vector<std::string> interfaces,
                                                      std::vector<std::string> extra_args) {
  extra_runners_.push_back(std::make_unique<ProcflowRunner>(interfaces, std::move(extra_args)));
  auto started = extra_runners_.back()->start();
  if (!started) {
    ADD_FAILURE() << started.message();
    return nullptr;
  }
  return extra_runners_.back().get();
}

void IntegrationTest::stop_procflow(ProcflowRunner& runner) {
  auto status = runner.stop();
  ASSERT_TRUE(status) << "procflow did not exit within 20 s of SIGINT";
  EXPECT_TRUE(status->success()) << "procflow ended with " << status->describe();
}

std::vector<std::string> IntegrationTest::launcher(Where where) const {
  if (where == Where::root_namespace) return {};
  return topology_->in_ns({});
}

PreforkServer* IntegrationTest::start_server(const std::string& ip, int port, int workers,
                                             int reply_bytes, ServerMode mode, Where where,
                                             int64_t echo_bytes) {
  servers_.push_back(std::make_unique<PreforkServer>(ip, port, workers, reply_bytes, mode,
                                                     launcher(where), echo_bytes));
  auto listening = servers_.back()->wait_listening();
  if (!listening) {
    ADD_FAILURE() << listening.message();
    return nullptr;
  }
  return servers_.back().get();
}

UdpServer* IntegrationTest::start_udp_server(const std::string& ip, int port, int datagrams,
                                             int reply_factor, Where where) {
  udp_servers_.push_back(
      std::make_unique<UdpServer>(ip, port, datagrams, reply_factor, launcher(where)));
  auto listening = udp_servers_.back()->wait_listening();
  if (!listening) {
    ADD_FAILURE() << listening.message();
    return nullptr;
  }
  return udp_servers_.back().get();
}

SpawnedProcess& IntegrationTest::run_in_ns(std::vector<std::string> argv, RunAs who) {
  SpawnedProcess& client = spawn_in_ns(std::move(argv), who);
  if (!client.wait(15s)) ADD_FAILURE() << "still running after 15 s: " << client.command_line();
  return client;
}

SpawnedProcess& IntegrationTest::spawn_in_ns(std::vector<std::string> argv, RunAs who) {
  clients_.push_back(topo().spawn_in_ns(std::move(argv), who));
  return *clients_.back();
}

bool IntegrationTest::wait_for_events(const ProcflowRunner::EventPredicate& predicate,
                                      const std::string& what, std::chrono::milliseconds timeout) {
  if (runner_->wait_for(predicate, timeout)) return true;
  ADD_FAILURE() << "timed out after " << timeout.count() << " ms waiting for " << what;
  return false;
}

bool IntegrationTest::wait_for_ends(const std::vector<FlowSelector>& selectors,
                                    std::chrono::milliseconds timeout) {
  auto all_ended = [&](const std::vector<JsonLine>& events) {
    for (const auto& s : selectors) {
      if (count_events(events, s, "end") == 0) return false;
    }
    return true;
  };
  if (runner_->wait_for(all_ended, timeout)) return true;
  auto events = runner_->events();
  std::string missing;
  for (const auto& s : selectors) {
    if (count_events(events, s, "end") != 0) continue;
    missing += "\n  " + s.describe();
    std::string near = near_misses(events, s);
    if (!near.empty()) missing += "; events with its ports that do not match it:\n" + near;
  }
  ADD_FAILURE() << "timed out after " << timeout.count()
                << " ms waiting for end events of:" << missing;
  return false;
}

FlowSelector IntegrationTest::client_side(const std::string& client_ip, int64_t client_port,
                                          const std::string& server_ip, int64_t server_port) const {
  return FlowSelector{client_ip, client_port, server_ip, server_port, true, std::nullopt};
}

FlowSelector IntegrationTest::server_side(const std::string& client_ip, int64_t client_port,
                                          const std::string& server_ip, int64_t server_port) const {
  return FlowSelector{client_ip, client_port, server_ip, server_port, false, std::nullopt};
}

}  // namespace procflow_it
