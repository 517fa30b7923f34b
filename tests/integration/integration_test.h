// Base fixture of the integration suites: gates on BPF (skip or fail), builds
// a fresh topology per test, owns procflow, the servers and the clients it
// starts (so they are killed even when a test fails half-way), and on any
// failure prints everything they printed.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "flow_query.h"
#include "ground_truth.h"
#include "helper_programs.h"
#include "procflow_runner.h"
#include "topology.h"

namespace procflow_it {

inline constexpr int kServerPort = 18080;
inline constexpr int kOtherPort = 18081;
inline constexpr int kClosedPort = 18099;  // nothing ever listens here
inline constexpr int kUdpPort = 18090;
inline constexpr int kOtherUdpPort = 18091;

// Where a server runs: the root namespace (the other end of the veth from the
// clients), or inside the test's namespace with them.
enum class Where { root_namespace, test_namespace };

class IntegrationTest : public ::testing::Test {
 protected:
  // Topology::When::later: SetUp only names the topology (for suites that
  // start procflow before the network exists); the test calls topo().build().
  explicit IntegrationTest(Topology::When topology = Topology::When::now)
      : topology_when_(topology) {}

  void SetUp() override;
  void TearDown() override;

  Topology& topo() { return *topology_; }

  // Starts procflow on the host-side veth; use with ASSERT_NO_FATAL_FAILURE.
  void start_procflow(std::vector<std::string> extra_args = {});
  // The same with --interfaces of the test's choosing.
  void start_procflow_on(std::vector<std::string> interfaces,
                         std::vector<std::string> extra_args = {},
                         std::vector<std::string> global_args = {});
  ProcflowRunner& procflow() { return *runner_; }
  // Stops procflow with SIGINT and expects exit status 0.
  void stop_procflow();
  // Another procflow at the same time as the first (to compare two ways of
  // counting the same traffic), printed on failure like the first; nullptr
  // (and a failure) if it did not start. Stop it with stop_procflow(runner).
  ProcflowRunner* start_extra_procflow(std::vector<std::string> interfaces,
                                       std::vector<std::string> extra_args);
  void stop_procflow(ProcflowRunner& runner);

  // A prefork_server, listening; nullptr (and a failure) if it did not come up.
  // `echo_bytes`: what each connection sends before the server closes (echo_close).
  PreforkServer* start_server(const std::string& ip, int port, int workers, int reply_bytes,
                              ServerMode mode = ServerMode::reply_at_eof,
                              Where where = Where::root_namespace, int64_t echo_bytes = 0);
  // A `udp_peer server`, bound; nullptr (and a failure) if it did not come up.
  UdpServer* start_udp_server(const std::string& ip, int port, int datagrams, int reply_factor,
                              Where where = Where::root_namespace);

  // Runs a helper inside the namespace to completion (up to 15 s).
  SpawnedProcess& run_in_ns(std::vector<std::string> argv, RunAs who = RunAs::root);
  // Starts a helper inside the namespace without waiting for it.
  SpawnedProcess& spawn_in_ns(std::vector<std::string> argv, RunAs who = RunAs::root);

  // Waits for procflow's events to satisfy `predicate`; on timeout records a
  // failure naming `what` and returns false. The predicate must not call
  // back into procflow().
  bool wait_for_events(const ProcflowRunner::EventPredicate& predicate, const std::string& what,
                       std::chrono::milliseconds timeout = 10s);
  // Waits until every selector has an end event.
  bool wait_for_ends(const std::vector<FlowSelector>& selectors,
                     std::chrono::milliseconds timeout = 10s);

  // Selectors for the two flows of one connection from the namespace to a server.
  FlowSelector client_side(const std::string& client_ip, int64_t client_port,
                           const std::string& server_ip, int64_t server_port) const;
  FlowSelector server_side(const std::string& client_ip, int64_t client_port,
                           const std::string& server_ip, int64_t server_port) const;

 private:
  Topology::When topology_when_;
  std::unique_ptr<Topology> topology_;
  std::vector<std::string> launcher(Where where) const;

  std::vector<std::unique_ptr<PreforkServer>> servers_;
  std::vector<std::unique_ptr<UdpServer>> udp_servers_;
  std::vector<std::unique_ptr<SpawnedProcess>> clients_;
  std::unique_ptr<ProcflowRunner> runner_;
  std::vector<std::unique_ptr<ProcflowRunner>> extra_runners_;
};

}  // namespace procflow_it
