// Buffered output of serialized lines to stdout, a pipe or a file: one write(2) per batch rather
// than per event, with the partial-write, EINTR and broken-pipe handling a CLI needs. A file
// may rotate by size and be fsync'ed by policy (RotatingFile); the sink decides where the cut
// between two files falls, always between whole lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "output/file_sink_options.h"
#include "output/rotating_file.h"
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
// last_error() gives the errno. A file whose write failed half-way (ENOSPC) is truncated back to
// its last whole line. EPIPE (`procflow trace | head`) is the expected case; the caller
// must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) or the process dies before write(2) returns it,
// then check broken() after flush() and stop cleanly.
//
// Rotation (FileSinkOptions::max_size_bytes): the lines of a write() that would take the file
// past max_size go to the next file, from the first that does not fit; a file is thus never
// larger than max_size, except one holding a single line larger than that. Each write(2) still
// carries only whole lines, all for the same file.
class LineSink : public Sink {
 public:
  static constexpr size_t default_buffer_size = 64 * 1024;

  // Writes to `fd`, which stays owned by the caller (not closed), e.g. STDOUT_FILENO.
  static std::unique_ptr<LineSink> to_fd(int fd, size_t buffer_size = default_buffer_size);
  // Opens `path` for appending (created with mode 0640 if missing, close-on-exec) and owns the
  // descriptor. On failure returns nullptr and, when `error` is given, sets a message.
  static std::unique_ptr<LineSink> to_file(const std::string& path, std::string* error,
                                           size_t buffer_size = default_buffer_size);
  // The same, rotating and syncing as `options` say.
  static std::unique_ptr<LineSink> to_file(const std::string& path, const FileSinkOptions& options,
                                           std::string* error,
                                           size_t buffer_size = default_buffer_size);

  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;
  ~LineSink() override;  // flushes, then closes the descriptor if owned

  // Queues one or more complete lines (the caller supplies the '\n').
  void write(std::string_view lines) override;
  // Writes everything queued; the end of a batch (fdatasync under FsyncPolicy::batch).
  void flush() override;
  // flush(), and under an fsync policy an fsync of what is not synced yet. The output queue's
  // drain() calls it at shutdown and before a reload hands over: the process may exit before
  // the writer thread closes the file, so the close's fsync cannot be left to the destructor.
  void flush_all() override;

  // A file sink opens its path again (logrotate moved it away): what was buffered goes to the
  // old file, what comes next to the new one. If the path cannot be opened the sink keeps the
  // old descriptor and reopen_error() says why. A sink on a caller's descriptor does nothing.
  void reopen() override;
  const std::string& reopen_error() const { return reopen_error_; }

  bool broken() const override { return error_ != 0; }
  int last_error() const override { return error_; }  // errno that broke the sink, 0 if none
  uint64_t bytes_written() const override { return bytes_written_; }
  uint64_t bytes_dropped() const { return bytes_dropped_; }  // discarded because broken
  int fd() const { return file_ ? file_->fd() : fd_; }

  // A rotating file: files rotated away, and rotations that failed (the reason of the last
  // in rotation_error()); 0 for a sink on a descriptor.
  uint64_t rotations() const override { return file_ ? file_->rotations() : 0; }
  uint64_t rotation_errors() const override { return file_ ? file_->rotation_errors() : 0; }
  std::string rotation_error() const { return file_ ? file_->rotation_error() : ""; }
  // fsync and fdatasync calls made under the fsync policy, and those that failed.
  uint64_t syncs() const { return file_ ? file_->syncs() : 0; }
  uint64_t sync_errors() const override { return file_ ? file_->sync_errors() : 0; }

 private:
  LineSink(int fd, std::unique_ptr<RotatingFile> file, size_t buffer_size);
  // Queues whole lines for the current file (or writes them directly when larger than the
  // buffer).
  void append(std::string_view lines);
  // Writes what is buffered, without ending the batch.
  void write_buffer();
  // Writes all of [data, data + size) to fd(), or marks the sink broken.
  void write_all(const char* data, size_t size);
  // A file write failed after [start, end) of whole lines went in: the part of a line at its
  // end is truncated away again (a full disk must not leave half a line behind).
  void cut_partial_line(const char* start, const char* end);

  int fd_;                              // a caller's descriptor (to_fd), or -1
  std::unique_ptr<RotatingFile> file_;  // a file sink's file (to_file), or null
  std::string reopen_error_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  int error_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t bytes_dropped_ = 0;
};

}  // namespace procflow
