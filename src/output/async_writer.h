// Output that never holds up the event loop. The loop hands over whole
// events; a writer thread of their own writes them to the descriptor (a
// LineSink: whole lines, partial writes completed). The hand-over buffer is
// bounded: when the reader does not keep up and the buffer is full, the new
// event is dropped whole and counted, and the loop goes on draining the
// kernel's ring. A reader that is gone (EPIPE) breaks the writer; so does a
// reader stuck for good, which at shutdown is given `drain`'s time and then
// left behind (the thread is detached, the process exits).
//
// Thread-safe between one producer (the event loop) and the writer thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace procflow {

struct AsyncWriterStats {
  uint64_t events_written = 0;
  uint64_t events_dropped = 0;  // the buffer was full, or the writer broken
  uint64_t bytes_written = 0;
  int error = 0;  // errno that broke the writer (EPIPE: the reader is gone); 0 if none
};

class AsyncWriter {
 public:
  static constexpr size_t default_capacity = 8u << 20;

  // Writes to `fd` (not closed: stdout) from a thread of its own.
  explicit AsyncWriter(int fd, size_t capacity_bytes = default_capacity);
  // Stops the writer: what is still buffered is not written (drain() first).
  ~AsyncWriter();
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Buffers one whole event (its complete lines). False, and counted as
  // dropped, when it does not fit or the writer is broken. Never blocks on
  // the reader; the writer is woken by flush(), or by the buffer reaching a
  // quarter of its capacity.
  bool offer(std::string_view event_lines);
  // Wakes the writer for what was offered since the last flush.
  void flush();
  // Waits until everything offered is written, the writer broke, or
  // `timeout` passed. True when everything was written.
  bool drain(std::chrono::milliseconds timeout);

  bool broken() const;
  AsyncWriterStats stats() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  size_t capacity_;
};

}  // namespace procflow
