#include "flow/message_assembler.h"

#include <algorithm>

namespace procflow {

void MessageAssembler::complete(Side& s, std::vector<AssembledMessage>& done) {
  if (!s.open) return;
  s.open = false;
  done.push_back(std::move(s.message));
  s.message = AssembledMessage{};
}

void MessageAssembler::add(const ChunkView& c, std::vector<AssembledMessage>& done) {
  Side& mine = side(c.direction);
  Side& other =
      side(c.direction == MessageDirection::out ? MessageDirection::in : MessageDirection::out);
  if (mine.open && (c.turn_start || c.turn != mine.turn)) complete(mine, done);
  complete(other, done);  // whatever the other side said before this is whole
  if (!mine.open) {
    mine.open = true;
    mine.turn = c.turn;
    mine.message.direction = c.direction;
    mine.message.first_ns = c.ktime_ns;
  }
  mine.last_ns = c.ktime_ns;
  auto& bytes = mine.message.bytes;
  const size_t room = turn_bytes_ > bytes.size() ? turn_bytes_ - bytes.size() : 0;
  const size_t take = std::min(room, c.bytes.size());
  bytes.insert(bytes.end(), c.bytes.begin(), c.bytes.begin() + take);
  if (c.cut || take < c.bytes.size()) mine.message.truncated = true;
  if (c.stream_end)
    mine.message.stream_end = std::max(mine.message.stream_end.value_or(0), *c.stream_end);
  if (bytes.size() >= turn_bytes_) complete(mine, done);  // nothing more of it is captured
}

void MessageAssembler::flush_idle(uint64_t now_ns, uint64_t idle_ns,
                                  std::vector<AssembledMessage>& done) {
  for (Side& s : sides_)
    if (s.open && now_ns >= s.last_ns + idle_ns) complete(s, done);
}

void MessageAssembler::flush(std::vector<AssembledMessage>& done) {
  // The older turn first: messages go out in the order they were said.
  if (sides_[0].open && sides_[1].open && sides_[1].message.first_ns < sides_[0].message.first_ns)
    complete(sides_[1], done);
  for (Side& s : sides_) complete(s, done);
}

}  // namespace procflow
