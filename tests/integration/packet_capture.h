// A tcpdump capture of one interface: the independent ground truth for
// procflow's packet_count and tcp_flags (and, read back field by field, for
// what a DNS server really answered). It is started before the traffic
// (ready once tcpdump logs "listening on"), stopped with SIGINT so that it
// flushes its file, and read back with tshark. tcpdump runs in immediate mode:
// otherwise packets still in its ring buffer's current block at SIGINT are
// counted as "received by filter" but never written. The file lives in a
// temporary directory that is removed with the object.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// One TCP connection as the capture saw it, both directions.
struct CapturedConnection {
  int64_t packets = 0;
  std::set<std::string> flags;  // procflow's names: "SYN", "ACK", "PSH", "FIN", ...
  std::string frames;           // one "number flags length" line per packet, for messages
};

// The names procflow uses for the TCP flag bits in `bits` (FIN=0x01 .. CWR=0x80).
std::set<std::string> tcp_flag_names(unsigned bits);

class PacketCapture {
 public:
  // Starts `tcpdump -i DEV ... -w FILE FILTER`; call wait_ready() before any traffic.
  explicit PacketCapture(const std::string& dev, const std::string& filter = "tcp");
  ~PacketCapture();
  PacketCapture(const PacketCapture&) = delete;
  PacketCapture& operator=(const PacketCapture&) = delete;

  ::testing::AssertionResult wait_ready(std::chrono::milliseconds timeout = 10s);
  // SIGINT, wait for the exit, and check that tcpdump wrote every packet it
  // received (none dropped), so the file is a complete account.
  ::testing::AssertionResult stop(std::chrono::milliseconds timeout = 10s);

  // The packets between a:port_a and b:port_b (either direction), read with
  // tshark after stop(); nullopt (and `error`) if tshark fails.
  std::optional<CapturedConnection> connection(const std::string& ip_a, int64_t port_a,
                                               const std::string& ip_b, int64_t port_b,
                                               std::string* error) const;
  // Every packet matching the tshark display filter, as its values of
  // `fields` (tshark -T fields; several values of one field joined by ','),
  // read after stop(); nullopt (and `error`) if tshark fails.
  std::optional<std::vector<std::vector<std::string>>> fields(
      const std::string& display_filter, const std::vector<std::string>& fields,
      std::string* error) const;
  std::string describe() const;

 private:
  std::string dir_;
  std::string file_;
  std::unique_ptr<SpawnedProcess> tcpdump_;
};

}  // namespace procflow_it
