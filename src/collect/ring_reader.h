// Drains the kernel's ring buffer in batches. The BPF side submits without
// waking us for ordinary records, so the owner calls consume() on a short
// timer (and whenever the epoll fd reports a forced wake-up under load).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bpf/libbpf_raii.h"
#include "collect/record_decoder.h"

namespace procflow {

class RingReader {
 public:
  static std::unique_ptr<RingReader> create(int ringbuf_map_fd, RecordHandler& handler,
                                            std::string* error);
  // Consumes at most `budget` records (0: everything there is, for the
  // shutdown drain). Under sustained load the ring never runs dry, so a
  // bounded turn is what lets the loop also tick, end flows and write.
  // Returns the number of records consumed; *more is set when the budget
  // stopped it with records left.
  int consume(uint32_t budget = 0, bool* more = nullptr);
  int epoll_fd() const;
  uint64_t records() const { return records_; }
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  explicit RingReader(RecordHandler& handler) : handler_(handler) {}
  static int on_sample(void* ctx, void* data, size_t size);
  RecordHandler& handler_;
  RingBufferPtr rb_;
  uint32_t budget_ = 0;
  uint32_t taken_ = 0;  // records this turn
  uint64_t records_ = 0;
  uint64_t decode_errors_ = 0;
};

}  // namespace procflow
