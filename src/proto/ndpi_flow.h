// One flow's nDPI state (RAII over ndpi_flow_struct): fed the payload of
// each captured message as one packet, it names the application protocol
// the way nDPI 4.2 does.
//
// nDPI 4.2 only takes layer-3 packets (ndpi_detection_process_packet), so
// each payload is wrapped in a synthesized IPv4 or IPv6 header and a TCP
// (ACK|PSH, sequence numbers that continue per direction) or UDP header, in a
// buffer the engine owns.
//
// A TCP flow's handshake is not needed: nDPI 4.2 classifies HTTP, TLS, SSH
// and SMTP flows from ACK|PSH data segments alone (tested in
// proto_ndpi_test.cpp without any SYN), and its connection tracking takes
// the first ACK segment of each direction as the start of the sequence space
// (ndpi_connection_tracking: next_tcp_seq_nr is set from the seq and ack of
// the first ACK segment while still 0), so no SYN, SYN-ACK or l4 state has to
// be faked. Later data segments whose seq is not where that tracking expects
// are marked retransmissions and skipped by the dissectors, so the sequence
// numbers synthesized here continue per direction by the bytes fed (and the
// ack field carries the other direction's): a truncated capture still looks
// like an in-order stream. Both
// directions should be fed: SMTP is only recognised from the server's
// greeting plus the client's EHLO, HTTP and DNS settle on the response. A
// QUIC client Initial alone gives "QUIC" and its SNI (nDPI decrypts it).
// SSH never settles on banners alone (nDPI wants the key exchange for its
// fingerprint): give_up() ends it, keeping "SSH".
//
// Memory per flow (measured, x86-64, nDPI 4.2 from Debian): the
// ndpi_flow_struct is 688 bytes (header and library agree); nDPI allocates
// more while dissecting, e.g. about 2.1 KB more for a TLS flow after both
// hellos (ALPN, cipher and certificate state), about 50 bytes for HTTP. All
// of it is freed with the flow.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "procflow/flow_event.h"

struct ndpi_flow_struct;

namespace procflow {

class NdpiEngine;

struct PacketView {
  IpAddress src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t transport = 6;  // ip_proto_tcp or ip_proto_udp
  std::span<const uint8_t> payload;
  uint64_t time_ms = 0;
};

class NdpiFlow {
 public:
  explicit NdpiFlow(NdpiEngine& engine);
  ~NdpiFlow();
  NdpiFlow(const NdpiFlow&) = delete;
  NdpiFlow& operator=(const NdpiFlow&) = delete;

  // The payload of one packet (or one captured message) as on the wire,
  // src -> dst. Packets without payload, of other transports or of mixed
  // address families are ignored. Does nothing once settled().
  void feed(const PacketView& packet);
  // nDPI needs no more packets: the protocol is known and nDPI has nothing
  // more to extract (or give_up() was called).
  bool settled() const;
  // ndpi_detection_giveup: nDPI's best answer from what it has seen. A guess
  // from port numbers alone does not become protocol() (procflow names
  // protocols from content), only port_guess().
  void give_up();

  // nDPI's name: the master protocol when set ("TLS" for HTTPS to Google),
  // else the application protocol ("HTTP", "DNS", "SSH", "SMTP", "QUIC", ...);
  // "" while unknown.
  std::string protocol() const;
  // After give_up(): what nDPI guessed from the ports when it knew nothing else.
  std::string port_guess() const { return port_guess_; }
  // nDPI's host_server_name (TLS/QUIC SNI, HTTP Host, DNS query name), "" if none.
  std::string server_name() const;

 private:
  void record(uint16_t master, uint16_t app);
  size_t build_packet(const PacketView& packet);

  NdpiEngine& engine_;
  ndpi_flow_struct* flow_;
  uint16_t master_ = 0, app_ = 0;
  bool gave_up_ = false;
  std::string port_guess_;
  // Next sequence number per direction; [0] is the first packet's sender.
  IpAddress first_src_;
  uint16_t first_sport_ = 0;
  bool seen_packet_ = false;
  uint32_t next_seq_[2] = {0x10000000u, 0x50000000u};
};

}  // namespace procflow
