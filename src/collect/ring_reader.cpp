#include "collect/ring_reader.h"

#include <cerrno>
#include <cstring>

namespace procflow {

std::unique_ptr<RingReader> RingReader::create(int ringbuf_map_fd, RecordHandler& handler,
                                               std::string* error) {
  std::unique_ptr<RingReader> reader(new RingReader(handler));
  reader->rb_.reset(
      ring_buffer__new(ringbuf_map_fd, &RingReader::on_sample, reader.get(), nullptr));
  if (!reader->rb_) {
    *error = std::string("cannot map the ring buffer: ") + strerror(errno);
    return nullptr;
  }
  return reader;
}

namespace {

// Returned by the callback to end a turn. libbpf stops at a negative value,
// after it has moved the consumer position past the record just handled.
constexpr int kBudgetSpent = -EAGAIN;

}  // namespace

int RingReader::on_sample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingReader*>(ctx);
  self->records_++;
  if (decode_record(data, size, self->handler_) != DecodeStatus::ok) self->decode_errors_++;
  self->taken_++;
  return self->budget_ && self->taken_ >= self->budget_ ? kBudgetSpent : 0;
}

int RingReader::consume(uint32_t budget, bool* more) {
  budget_ = budget;
  taken_ = 0;
  const int rc = ring_buffer__consume(rb_.get());
  if (more) *more = rc == kBudgetSpent;
  return static_cast<int>(taken_);
}

int RingReader::epoll_fd() const {
  return ring_buffer__epoll_fd(rb_.get());
}

}  // namespace procflow
