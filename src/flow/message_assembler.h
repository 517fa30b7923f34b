// Gathers one flow's captured chunks into messages: a message is the first
// bytes of one turn of one direction (procflow_abi.h, "Content capture").
// A turn is complete when the same direction starts its next turn, when the
// other direction speaks (the conversation turned), when its bytes reach the
// per-turn budget, when it has been quiet for a while, or when the flow ends.
//
// Wire bytes (TC) and TLS plaintext (uprobes) are separate streams of the
// same flow: each source has its own assembler.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "proto/message_direction.h"

namespace procflow {

struct AssembledMessage {
  MessageDirection direction = MessageDirection::out;
  std::vector<uint8_t> bytes;
  bool truncated = false;  // the turn carried more than was captured
  uint64_t first_ns = 0;   // CLOCK_BOOTTIME of its first chunk
  // TCP: the direction's payload bytes up to the end of the captured part's
  // packets (from sequence numbers), when known.
  std::optional<uint64_t> stream_end;
};

struct ChunkView {
  MessageDirection direction = MessageDirection::out;
  uint16_t turn = 0;
  bool turn_start = false;
  bool cut = false;
  uint64_t ktime_ns = 0;
  std::optional<uint64_t> stream_end;
  std::span<const uint8_t> bytes;
};

class MessageAssembler {
 public:
  explicit MessageAssembler(uint32_t turn_bytes) : turn_bytes_(turn_bytes) {}

  // Completed messages are appended to done.
  void add(const ChunkView& chunk, std::vector<AssembledMessage>& done);
  // Completes turns whose last chunk is older than idle_ns.
  void flush_idle(uint64_t now_ns, uint64_t idle_ns, std::vector<AssembledMessage>& done);
  void flush(std::vector<AssembledMessage>& done);
  bool pending() const { return sides_[0].open || sides_[1].open; }

 private:
  struct Side {
    bool open = false;
    uint16_t turn = 0;
    uint64_t last_ns = 0;
    AssembledMessage message;
  };
  void complete(Side& side, std::vector<AssembledMessage>& done);
  Side& side(MessageDirection d) { return sides_[d == MessageDirection::out ? 0 : 1]; }

  uint32_t turn_bytes_;
  Side sides_[2];
};

}  // namespace procflow
