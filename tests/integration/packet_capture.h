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

// One packet of a CapturedConnection.
struct CapturedPacket {
  int64_t frame = 0;
  unsigned flags = 0;       // TCP flag bits
  int64_t length = 0;       // as on the wire (a GSO super-packet is one long frame)
  bool forward = true;      // sent by the connection's src (streams()/connections() only)
  int64_t payload = 0;      // TCP payload bytes (tcp.len)
  int64_t mss = 0;          // the MSS option (a SYN's), 0 without one
  bool timestamps = false;  // carries the timestamp option
};

// One TCP connection as the capture saw it, both directions.
struct CapturedConnection {
  int64_t packets = 0;
  std::set<std::string> flags;           // procflow's names: "SYN", "ACK", "PSH", "FIN", ...
  std::string frames;                    // one "number flags length" line per packet, for messages
  std::vector<CapturedPacket> sequence;  // the same, in order (streams()/connections() only)

  // Set by streams()/connections(): tshark's tcp.stream, and the endpoints
  // with the sender of the stream's first packet (the SYN) as src.
  int64_t stream = -1;
  std::string src_ip;
  int64_t src_port = 0;
  std::string dest_ip;
  int64_t dest_port = 0;

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  // The longest frame; above the link MTU only for a GSO/GRO super-packet.
  int64_t largest_frame() const;
  // Whether the first packet is a SYN without ACK: the capture saw it open.
  bool opened_by_syn() const;
  // Whether the connection's src sent the first FIN (it closed first).
  bool src_closed_first() const;
  // The TCP segments the packets were: one each, but a frame with more
  // payload than its sender's segment size (a GSO/GRO super-packet) is that
  // payload in segment-size pieces. A sender's segment size is the MSS its
  // peer's SYN announced, less the timestamp option when both SYNs carry it.
  // nullopt without both SYNs in the capture.
  std::optional<int64_t> segments() const;
  std::string describe() const;  // endpoints, stream, count, flags and every frame
};

// The names procflow uses for the TCP flag bits in `bits` (FIN=0x01 .. CWR=0x80).
std::set<std::string> tcp_flag_names(unsigned bits);

class PacketCapture {
 public:
  // Starts `tcpdump -i DEV ... -w FILE FILTER`; call wait_ready() before any traffic.
  // `snap_length`: bytes kept of each packet; the default keeps every header
  // (see the constructor), a suite that reads payloads back passes more.
  explicit PacketCapture(const std::string& dev, const std::string& filter = "tcp",
                         int snap_length = 256);
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
  // Every TCP connection in the capture, in the order they began, split the
  // way tshark splits a reused 4-tuple: a SYN with a new sequence number
  // starts a new tcp.stream. Read after stop(); nullopt (and `error`) if
  // tshark fails.
  std::optional<std::vector<CapturedConnection>> streams(std::string* error) const;
  // The connections between a:port_a and b:port_b (either direction), in the
  // order they began: one per use of the 4-tuple.
  std::optional<std::vector<CapturedConnection>> connections(const std::string& ip_a,
                                                             int64_t port_a,
                                                             const std::string& ip_b,
                                                             int64_t port_b,
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
