#include "flow/unmatched_chunks.h"

namespace procflow {

void UnmatchedChunks::keep(const ConversationKey& key, const PayloadChunk& chunk,
                           const std::optional<ConversationKey>& also, bool count_if_unclaimed) {
  if (chunks_.size() >= kMaxChunks) forget_oldest();
  Kept k{key, also, count_if_unclaimed, chunk, {chunk.bytes.begin(), chunk.bytes.end()}};
  k.chunk.bytes = {};
  chunks_.push_back(std::move(k));
}

void UnmatchedChunks::take(const ConversationKey& key,
                           const std::function<void(const PayloadChunk&)>& fn) {
  for (auto it = chunks_.begin(); it != chunks_.end();) {
    const bool by_key = it->key == key;
    if (!by_key && !(it->also && *it->also == key)) {
      ++it;
      continue;
    }
    if (it->also) {
      // Filed under two views (a datagram's sender and receiver): the other
      // flow may still come for it; taken once, it is no longer unclaimed.
      PayloadChunk chunk = it->chunk;
      chunk.bytes = it->bytes;
      if (by_key) it->key = *it->also;
      it->also.reset();
      it->counted = false;
      ++it;
      fn(chunk);
      continue;
    }
    Kept kept = std::move(*it);
    it = chunks_.erase(it);
    kept.chunk.bytes = kept.bytes;
    fn(kept.chunk);
  }
}

void UnmatchedChunks::forget_oldest() {
  if (chunks_.front().counted) dropped_++;
  chunks_.pop_front();
}

void UnmatchedChunks::expire(uint64_t now_ns) {
  while (!chunks_.empty() && now_ns > chunks_.front().chunk.ktime_ns + kWaitNs) forget_oldest();
}

void UnmatchedChunks::clear() {
  while (!chunks_.empty()) forget_oldest();
}

}  // namespace procflow
