// What the soak test's churn did, in the words of the programs that did it:
// churn_driver's lines (which worker it started, on which pid, reusing a pid
// or not; how each ended) and each churn_worker's account of every job (its
// pid, the image /proc/self/exe named, ports, bytes, datagrams). The exact
// values procflow's flows must match.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace procflow_it {

// One job of a churn_worker: a TCP connection (closed, reset or refused) or a
// UDP exchange with one peer.
struct ChurnJob {
  int64_t seq = -1;
  int64_t step = 0;  // 0, then 1 after an exec within the same process
  int64_t pid = -1;
  std::string image;     // readlink /proc/self/exe in the worker
  std::string job;       // tcp, reset, refused, udp
  std::string local_ip;  // "0.0.0.0" for an unconnected UDP socket
  int64_t local_port = 0;
  std::string peer;
  int64_t peer_port = 0;
  int64_t sent = 0;
  int64_t received = 0;
  int64_t datagrams_sent = 0;
  int64_t datagrams_received = 0;
  int64_t connect_us = 0;  // CLOCK_REALTIME, just before the connect (or the first datagram)
  std::string error;

  std::string exe() const;  // the image's file name
  bool udp() const { return job == "udp"; }
};

struct ChurnSpawn {
  int64_t seq = -1;
  int64_t pid = -1;
  std::string image;
  bool reused_pid = false;  // started with clone3(set_tid) on a freed worker's pid
};

struct ChurnSummary {
  int64_t spawned = 0;
  int64_t reused = 0;
  int64_t reuse_refused = 0;
  int64_t failed = 0;
};

struct ChurnTruth {
  int64_t driver_pid = -1;
  std::vector<ChurnSpawn> spawns;
  std::vector<ChurnJob> jobs;
  std::vector<std::string> failures;    // workers that exited non-zero, jobs with an error
  std::optional<ChurnSummary> summary;  // once the driver is done

  // Pids that ran more than one worker, each with the images they ran, in order.
  std::map<int64_t, std::vector<std::string>> reused_pids() const;
};

// Parses churn_driver's stdout (its own lines and its workers'); a worker
// started on its own (no driver) gives jobs only.
ChurnTruth parse_churn(const std::vector<std::string>& lines);

}  // namespace procflow_it
