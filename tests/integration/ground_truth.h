// The helpers' own account of what they did (pids, ports, bytes, datagrams),
// read from the JSON lines they print: the exact values procflow's flows must
// match. PreforkServer wraps the running prefork_server and finds the worker
// that served a given client port; UdpServer wraps `udp_peer server`.
//
// Servers run in the root namespace unless given a `launcher`: an argv prefix
// that must exec the server (`ip netns exec NS`), so its pid stays the one the
// server reports.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// tcp_client / quick_connect: {"pid","local_port","sent","received"} or "error"
// (with --hold-ms: the counts at the hold, the peer having acknowledged them).
struct ClientTruth {
  int64_t pid = -1;
  int64_t local_port = 0;
  int64_t sent = 0;
  int64_t received = 0;
  std::string error;  // set when the connect failed
};
// The first ground-truth line of a client's stdout, or nullopt.
std::optional<ClientTruth> client_truth(const SpawnedProcess& client);
// Waits up to `timeout` for the client's line (the client may still be running).
std::optional<ClientTruth> wait_client_truth(const SpawnedProcess& client,
                                             std::chrono::milliseconds timeout = 10s);

// port_reuse_client: one line per connection, in order. On a failure only
// the index, the port and `error` are set.
struct ReuseConnectionTruth {
  int64_t pid = -1;
  int64_t index = -1;
  int64_t local_port = 0;
  int64_t sent = 0;
  int64_t received = 0;
  bool aborted = false;  // closed with SO_LINGER 0 (an RST)
  std::string error;
};
// Every connection line a port_reuse_client printed so far.
std::vector<ReuseConnectionTruth> reuse_client_truths(const SpawnedProcess& client);

// One connection served by a prefork_server worker (received/sent are -1
// while it is only accepted).
struct WorkerTruth {
  int64_t worker_pid = -1;
  int64_t parent_pid = -1;
  int64_t peer_port = 0;
  int64_t received = 0;
  int64_t sent = 0;
};

// How a prefork_server worker serves a connection: read to EOF then reply,
// or (for tcp_client --rounds) echo everything first (`--echo`), or (for
// port_reuse_client --server-closes) echo a given number of bytes, reply and
// close first (`--echo-close N`).
enum class ServerMode { reply_at_eof, echo, echo_close };

class PreforkServer {
 public:
  // Starts `prefork_server IP PORT WORKERS REPLY_BYTES [--echo | --echo-close
  // ECHO_BYTES]` (behind `launcher`); `echo_bytes` is for ServerMode::echo_close.
  PreforkServer(const std::string& ip, int port, int workers, int reply_bytes,
                ServerMode mode = ServerMode::reply_at_eof,
                const std::vector<std::string>& launcher = {}, int64_t echo_bytes = 0);
  // Waits for {"listening":true}; fails with the server's output otherwise.
  ::testing::AssertionResult wait_listening(std::chrono::milliseconds timeout = 10s);

  int64_t parent_pid() const { return parent_pid_; }
  int port() const { return port_; }
  // The worker's line for the connection from `peer_port`, waiting up to `timeout`.
  std::optional<WorkerTruth> wait_for_peer(int64_t peer_port,
                                           std::chrono::milliseconds timeout = 10s) const;
  // The worker that accepted the connection from `peer_port` (it may still be serving it).
  std::optional<WorkerTruth> wait_for_accept(int64_t peer_port,
                                             std::chrono::milliseconds timeout = 10s) const;
  // Connections the workers have finished.
  std::vector<WorkerTruth> connections() const;
  const SpawnedProcess& process() const { return *process_; }

 private:
  std::optional<WorkerTruth> wait_for_line(int64_t peer_port, bool finished,
                                           std::chrono::milliseconds timeout) const;

  int port_;
  int64_t parent_pid_ = -1;
  std::unique_ptr<SpawnedProcess> process_;
};

// udp_peer, client or server: what it exchanged with one peer (one line per
// peer). Times are CLOCK_REALTIME microseconds: first_us just before the
// first datagram with that peer, last_us just after the last one.
struct UdpPeerTruth {
  int64_t pid = -1;
  std::string local_ip;  // "0.0.0.0" / "::" for an unconnected client
  int64_t local_port = 0;
  std::string peer;
  int64_t peer_port = 0;
  int64_t sent = 0;
  int64_t received = 0;
  int64_t datagrams_sent = 0;
  int64_t datagrams_received = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;
};

// The per-peer lines a udp_peer printed so far, in order; its error line (if
// any) goes to `error`.
std::vector<UdpPeerTruth> udp_peer_truths(const SpawnedProcess& peer, std::string* error = nullptr);
// Waits up to `timeout` until `count` per-peer lines (or an error) are there.
std::vector<UdpPeerTruth> wait_udp_peer_truths(const SpawnedProcess& peer, size_t count,
                                               std::chrono::milliseconds timeout = 10s);

class UdpServer {
 public:
  // Starts `udp_peer server IP PORT DATAGRAMS REPLY_FACTOR` (behind `launcher`).
  UdpServer(const std::string& ip, int port, int datagrams, int reply_factor,
            const std::vector<std::string>& launcher = {});
  // Waits for {"listening":true}; fails with the server's output otherwise.
  ::testing::AssertionResult wait_listening(std::chrono::milliseconds timeout = 10s);

  int64_t pid() const { return pid_; }
  int port() const { return port_; }
  // Its account of the peer at `peer_port`, printed once it has received all
  // its datagrams (just before it closes its socket).
  std::optional<UdpPeerTruth> wait_for_peer(int64_t peer_port,
                                            std::chrono::milliseconds timeout = 10s) const;
  const SpawnedProcess& process() const { return *process_; }

 private:
  int port_;
  int64_t pid_ = -1;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
