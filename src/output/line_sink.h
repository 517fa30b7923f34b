// Buffered output of serialized lines to stdout, a pipe or a file: one write(2) per batch rather
// than per event, with the partial-write, EINTR and broken-pipe handling a CLI needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "output/sink.h"

namespace procflow {

// Not thread-safe: one thread writes (the pipeline's output stage).
//
// Data is buffered and written when the buffer cannot take the next write() call, on flush(),
// and on destruction. A live CLI calls flush() after each drained batch so lines appear
// promptly. Each write(2) carries whole write() calls (lines stay whole) unless the kernel
// itself writes partially, which is then completed; a single call larger than the buffer is
// written directly.
//
// Errors: EINTR is retried; EAGAIN on a non-blocking descriptor waits with poll(2). Any other
// failure marks the sink broken(): the pending data and every later write() are dropped, and
// last_error() gives the errno. EPIPE (`procflow trace | head`) is the expected case; the caller
// must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) or the process dies before write(2) returns it,
// then check broken() after flush() and stop cleanly.
class LineSink : public Sink {
 public:
  static constexpr size_t default_buffer_size = 64 * 1024;

  // Writes to `fd`, which stays owned by the caller (not closed), e.g. STDOUT_FILENO.
  static std::unique_ptr<LineSink> to_fd(int fd, size_t buffer_size = default_buffer_size);
  // Opens `path` for appending (created with mode 0640 if missing, close-on-exec) and owns the
  // descriptor. On failure returns nullptr and, when `error` is given, sets a message.
  static std::unique_ptr<LineSink> to_file(const std::string& path, std::string* error,
                                           size_t buffer_size = default_buffer_size);

  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;
  ~LineSink() override;  // flushes, then closes the descriptor if owned

  // Queues one or more complete lines (the caller supplies the '\n').
  void write(std::string_view lines) override;
  // Writes everything queued.
  void flush() override;

  // A file sink opens its path again (logrotate moved it away): what was buffered goes to the
  // old file, what comes next to the new one. If the path cannot be opened the sink keeps the
  // old descriptor and reopen_error() says why. A sink on a caller's descriptor does nothing.
  void reopen() override;
  const std::string& reopen_error() const { return reopen_error_; }

  bool broken() const override { return error_ != 0; }
  int last_error() const override { return error_; }  // errno that broke the sink, 0 if none
  uint64_t bytes_written() const override { return bytes_written_; }
  uint64_t bytes_dropped() const { return bytes_dropped_; }  // discarded because broken
  int fd() const { return fd_; }

 private:
  LineSink(int fd, bool owns_fd, size_t buffer_size);
  static int open_for_append(const std::string& path, std::string* error);
  // Writes all of [data, data + size) to fd_, or marks the sink broken.
  void write_all(const char* data, size_t size);

  int fd_;
  bool owns_fd_;
  std::string path_;  // set for a file sink: what reopen() opens
  std::string reopen_error_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  int error_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t bytes_dropped_ = 0;
};

}  // namespace procflow
