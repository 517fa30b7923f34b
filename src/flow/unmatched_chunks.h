// Captured chunks no open flow claimed yet: a receiving socket's flow is
// often announced after TC copied the bytes it received (a UDP server's flow
// starts when it reads the datagram; an accepted connection's record may
// trail its first data). Kept a moment, each with its own copy of the bytes,
// then counted as unmatched.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "collect/payload_chunk.h"
#include "flow/conversation_index.h"

namespace procflow {

class UnmatchedChunks {
 public:
  static constexpr size_t kMaxChunks = 512;
  static constexpr uint64_t kWaitNs = 1'000'000'000;

  // Keeps a copy, found by key or by also (a UDP datagram is filed under its
  // receiver's and its sender's view); the oldest is dropped (and counted)
  // when full.
  void keep(const ConversationKey& key, const PayloadChunk& chunk,
            const std::optional<ConversationKey>& also = std::nullopt);
  // Hands every kept chunk filed under key to fn (oldest first) and forgets it.
  void take(const ConversationKey& key, const std::function<void(const PayloadChunk&)>& fn);
  // Forgets chunks older than kWaitNs.
  void expire(uint64_t now_ns);
  // Forgets everything (shutdown): counted.
  void clear();

  uint64_t dropped() const { return dropped_; }
  size_t size() const { return chunks_.size(); }

 private:
  struct Kept {
    ConversationKey key;
    std::optional<ConversationKey> also;
    PayloadChunk chunk;  // bytes point into `bytes` when handed out
    std::vector<uint8_t> bytes;
  };
  std::deque<Kept> chunks_;
  uint64_t dropped_ = 0;
};

}  // namespace procflow
