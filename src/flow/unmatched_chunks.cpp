#include "flow/unmatched_chunks.h"

namespace procflow {

void UnmatchedChunks::keep(const ConversationKey& key, const PayloadChunk& chunk,
                           const std::optional<ConversationKey>& also) {
  if (chunks_.size() >= kMaxChunks) {
    chunks_.pop_front();
    dropped_++;
  }
  Kept k{key, also, chunk, {chunk.bytes.begin(), chunk.bytes.end()}};
  k.chunk.bytes = {};
  chunks_.push_back(std::move(k));
}

void UnmatchedChunks::take(const ConversationKey& key,
                           const std::function<void(const PayloadChunk&)>& fn) {
  for (auto it = chunks_.begin(); it != chunks_.end();) {
    if (!(it->key == key) && !(it->also && *it->also == key)) {
      ++it;
      continue;
    }
    Kept kept = std::move(*it);
    it = chunks_.erase(it);
    kept.chunk.bytes = kept.bytes;
    fn(kept.chunk);
  }
}

void UnmatchedChunks::expire(uint64_t now_ns) {
  while (!chunks_.empty() && now_ns > chunks_.front().chunk.ktime_ns + kWaitNs) {
    chunks_.pop_front();
    dropped_++;
  }
}

void UnmatchedChunks::clear() {
  dropped_ += chunks_.size();
  chunks_.clear();
}

}  // namespace procflow
