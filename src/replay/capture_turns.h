// The replay's half of content capture: what the TC programs decide in the kernel for a live
// flow (bpf/payload.bpf.h), decided here for a captured one, so a capture's packets become the
// same PayloadChunks a FlowConversation reads.
//
//  - Turns: a direction starts a new turn when it sends payload after the other direction did
//    (or first). DNS (either port 53) is different: every datagram or segment is a message of its
//    own, as the live DNS capture hands them over.
//  - TCP stream offsets: from each direction's SYN, when it was captured; a flow picked up
//    mid-stream has none (its messages then carry no byte counts).
//  - TCP retransmissions: bytes at or before what the direction already sent are skipped (a
//    segment partly retransmitted keeps its new bytes), as the kernel skips them by sequence
//    number. Without the SYN, the first segment seen sets where the stream starts.
//
//  - Budget: like the kernel, a turn is copied up to turn_bytes; its later packets give no chunk.
//
// Bytes beyond what the snap length kept are missing from the packet: a chunk is `cut` then.
#pragma once

#include <cstdint>
#include <optional>

#include "collect/payload_chunk.h"
#include "proto/message_direction.h"
#include "replay/packet_parser.h"

namespace procflow {

class CaptureTurns {
 public:
  // nullopt when the packet carries no new payload (none, or a retransmission). `from_initiator`
  // says which direction the packet went; the chunk's bytes point into p.payload.
  std::optional<PayloadChunk> chunk_of(const ParsedPacket& p, bool from_initiator, uint64_t ts_ns,
                                       uint32_t turn_bytes);

  static MessageDirection direction_of(bool from_initiator) {
    return from_initiator ? MessageDirection::out : MessageDirection::in;
  }

 private:
  struct Side {
    uint16_t turn = 0;
    bool spoke = false;                // sent payload at least once
    uint32_t turn_captured = 0;        // bytes of its current turn handed over
    std::optional<uint32_t> isn;       // its SYN's sequence number
    std::optional<uint32_t> next_seq;  // just past the last new byte it sent
  };
  // The part of a TCP segment not sent before: how many leading bytes to skip, or nullopt.
  static std::optional<uint32_t> fresh_part(Side& side, const ParsedPacket& p);

  Side sides_[2];
  int last_speaker_ = -1;  // 0: initiator, 1: responder
};

}  // namespace procflow
