// The flow table of `procflow replay`: decoded packets from a capture become CAR flow events,
// the same FlowEvent the live tracer emits, minus what only a live host knows.
//
// Keying and orientation. A flow is a canonical 5-tuple (protocol plus the two endpoints in a
// fixed order), so both directions land in one flow. Its initiator (src_* in events) is the
// sender of the first packet seen, except that a TCP flow whose first packet is a SYN+ACK is
// initiated by that packet's receiver (the SYN was missed). A capture that starts mid-exchange
// can therefore name a server as the initiator; nothing in the packets says otherwise.
//
// Counters, per direction: packets, frame bytes (pcap's original length), IP bytes (IP header
// included) and transport payload bytes. The events carry packet_count (both directions),
// tcp_flags (the union of both directions), and out_bytes / in_bytes, the transport payload sent
// by the initiator / by the responder: the "local socket" of the live tracer's definition is, in a
// capture, the initiator's.
//
// Lifetime, all on the capture's clock (the largest timestamp seen so far, so a packet stamped
// out of order cannot move time backwards):
//  - start: at a flow's first packet.
//  - TCP end, end_reason "close": both FINs sent and each acknowledged (so the last ACK still
//    belongs to the flow); "reset": at a RST. Packets that follow on the same 5-tuple within
//    close_linger (a retransmitted FIN, data racing a RST) are counted in stats().after_close and
//    otherwise ignored, as TIME_WAIT would; a SYN (without ACK) starts a new flow at once.
//  - UDP end, end_reason "timeout": no datagram for udp_idle_timeout; end_time is the last
//    datagram's time.
//  - End of the capture (finish()): every flow still open ends with no end_reason, meaning "the
//    capture stopped, the flow had not ended"; a TCP flow whose FINs were both seen but not both
//    acknowledged ends with "close".
// Messages, when options.conversations is set (replay_flows_messages.cpp): the payload of each
// flow becomes `message` events as a live flow's would (CaptureTurns stands in for the kernel's
// turn tracking), with application_protocol from nDPI on messages and the end event, and a TLS
// SNI or HTTP Host naming a responder no DNS answer in the capture named. The initiator is the
// "local" side: its messages are `out`.
//
// Not set, because a capture has none: pid, ppid, uid, user, exe, image_path, comm (no processes),
// hostname and fqdn (a capture has no sensor host: the file may come from anywhere), netns,
// initiated (there is no local socket), interface.
//
// Bounded: at most max_flows flows (open or lingering after close) at once; packets of new flows
// beyond that are counted in stats().table_full and dropped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "enrich/network_direction.h"
#include "flow/flow_conversation.h"
#include "procflow/flow_event.h"
#include "replay/packet_parser.h"
#include "replay/replay_dns.h"

namespace procflow {

struct ReplayFlowContent;

struct ReplayOptions {
  uint64_t udp_idle_timeout_us = 60'000'000;
  // Linux keeps a closed connection in TIME_WAIT for 60 s; stray packets after a close are
  // expected about that long.
  uint64_t close_linger_us = 60'000'000;
  size_t max_flows = 1'000'000;
  NetworkClassifier networks = NetworkClassifier::defaults();
  DnsCacheConfig dns;
  // nullptr: no `message` events (and no application_protocol). Must outlive the ReplayFlows.
  const ConversationSettings* conversations = nullptr;
};

struct DirectionCounters {
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;    // pcap's `len`: the whole frame as it was on the wire
  uint64_t ip_bytes = 0;       // IP packets, headers included
  uint64_t payload_bytes = 0;  // TCP/UDP payload
};

// What the replay knows about one flow, handed out with each of its events.
struct ReplayFlowRecord {
  uint8_t ip_proto = 0;
  IpAddress initiator_ip, responder_ip;
  uint16_t initiator_port = 0, responder_port = 0;
  DirectionCounters out;  // initiator -> responder
  DirectionCounters in;   // responder -> initiator
  uint8_t tcp_flags = 0;  // both directions
  uint64_t first_us = 0, last_us = 0;
  // Datagrams whose first IP fragment was counted here; their later fragments carry no ports
  // and are not counted in any flow (the capture reader counts them as ip_fragment).
  uint64_t fragmented_datagrams = 0;
  EndReason end_reason = EndReason::none;
};

struct ReplayFlowStats {
  uint64_t packets = 0;        // handed to add()
  uint64_t flows_started = 0;  // start events
  uint64_t flows_ended = 0;    // end events
  uint64_t after_close = 0;    // packets of a flow that had already closed
  uint64_t table_full = 0;     // packets of flows not tracked: max_flows reached
  uint64_t messages = 0;       // message events
};

class ReplayFlows {
 public:
  // Called with every event and the record of its flow (for end events, the final counters).
  using Emit = std::function<void(const FlowEvent&, const ReplayFlowRecord&)>;

  ReplayFlows(ReplayOptions options, Emit emit);
  ~ReplayFlows();
  ReplayFlows(const ReplayFlows&) = delete;
  ReplayFlows& operator=(const ReplayFlows&) = delete;

  // One packet the parser decoded (ParseStatus::ok), captured at `ts_us` (UNIX epoch,
  // microseconds), `frame_bytes` long on the wire.
  void add(const ParsedPacket& p, uint64_t ts_us, uint32_t frame_bytes);
  // The capture is over: every flow still open ends.
  void finish();

  size_t open_flows() const;
  const ReplayFlowStats& stats() const { return stats_; }
  const ReplayDns& dns() const { return dns_; }

 private:
  struct Key {
    uint8_t ip_proto = 0;
    uint8_t family = 0;
    uint16_t port_a = 0, port_b = 0;  // endpoint a sorts before endpoint b
    std::array<uint8_t, 16> addr_a{}, addr_b{};
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept;
  };
  struct Flow;  // replay/replay_flow.h
  friend struct ReplayFlowContent;
  using Table = std::unordered_map<Key, std::unique_ptr<Flow>, KeyHash>;

  static Key key_of(const ParsedPacket& p);
  void expire(uint64_t now_us);
  Flow* start_flow(const Key& key, const ParsedPacket& p, uint64_t ts_us);
  void count(Flow& f, const ParsedPacket& p, uint64_t ts_us, uint32_t frame_bytes);
  void track_tcp(Flow& f, bool from_initiator, const ParsedPacket& p);
  void end_flow(Flow& f, EndReason reason);
  void erase(Table::iterator it);
  void fill_event(FlowEvent& ev, const Flow& f) const;
  // Messages (replay_flows_messages.cpp).
  void add_content(Flow& f, const ParsedPacket& p, bool from_initiator);
  void flush_idle_messages();
  void finish_messages(Flow& f);
  void emit_messages(Flow& f);

  ReplayOptions options_;
  Emit emit_;
  ReplayDns dns_;
  Table flows_;
  // Open UDP flows, least recently active first: idle timeouts are found at the front.
  std::list<Flow*> udp_lru_;
  // Closed TCP flows lingering for stray packets, oldest close first.
  std::list<Flow*> closed_;
  // Flows whose conversation may hold unfinished messages, and when they were last flushed.
  std::list<Flow*> talking_;
  uint64_t idle_swept_us_ = 0;
  std::vector<FlowMessage> messages_;
  uint64_t now_us_ = 0;
  ReplayFlowStats stats_;
  FlowEvent event_;
};

}  // namespace procflow
