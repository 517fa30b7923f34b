// Buffered line output (see line_sink.h): the only place procflow's event output meets write(2).
#include "output/line_sink.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace procflow {
namespace {

// The length of the whole lines at the start of `lines` that fit in `room` bytes (0: not even
// the first).
size_t whole_lines_within(std::string_view lines, uint64_t room) {
  const size_t window = static_cast<size_t>(std::min<uint64_t>(room, lines.size()));
  if (window == lines.size()) return window;  // everything fits (the caller's lines end in '\n')
  const void* last = ::memrchr(lines.data(), '\n', window);
  return last ? static_cast<size_t>(static_cast<const char*>(last) - lines.data()) + 1 : 0;
}

// The first line of `lines`, with its '\n' (all of it if it has none).
size_t first_line_length(std::string_view lines) {
  const size_t newline = lines.find('\n');
  return newline == std::string_view::npos ? lines.size() : newline + 1;
}

}  // namespace

std::unique_ptr<LineSink> LineSink::to_fd(int fd, size_t buffer_size) {
  return std::unique_ptr<LineSink>(new LineSink(fd, nullptr, buffer_size));
}

std::unique_ptr<LineSink> LineSink::to_file(const std::string& path, std::string* error,
                                            size_t buffer_size) {
  return to_file(path, FileSinkOptions{}, error, buffer_size);
}

std::unique_ptr<LineSink> LineSink::to_file(const std::string& path, const FileSinkOptions& options,
                                            std::string* error, size_t buffer_size) {
  auto file = RotatingFile::open(path, options, error);
  if (!file) return nullptr;
  return std::unique_ptr<LineSink>(new LineSink(-1, std::move(file), buffer_size));
}

void LineSink::reopen() {
  if (!file_) return;
  write_buffer();  // buffered lines belong to the file they were written for
  if (file_->reopen(&reopen_error_)) reopen_error_.clear();
}

LineSink::LineSink(int fd, std::unique_ptr<RotatingFile> file, size_t buffer_size)
    : fd_(fd),
      file_(std::move(file)),
      buffer_(new char[buffer_size > 0 ? buffer_size : 1]),
      capacity_(buffer_size > 0 ? buffer_size : 1) {}

LineSink::~LineSink() {
  write_buffer();
  // file_ syncs (as its policy says) and closes; a caller's descriptor stays open.
}

void LineSink::write(std::string_view lines) {
  if (broken()) {
    bytes_dropped_ += lines.size();
    return;
  }
  if (file_) file_->check_before_first_write();
  // A rotating file: cut before the first line that would take the file past its size.
  while (file_ && !lines.empty() && used_ + lines.size() > file_->room()) {
    const uint64_t room = file_->room();
    size_t cut = room > used_ ? whole_lines_within(lines, room - used_) : 0;
    // Nothing fits in a file nothing was written to since it was started (or since a failed
    // rotation): the first line goes in whole, else it would never be written.
    if (cut == 0 && used_ == 0 && file_->fresh()) cut = first_line_length(lines);
    append(lines.substr(0, cut));
    lines.remove_prefix(cut);
    if (lines.empty()) return;
    write_buffer();
    if (broken()) {
      bytes_dropped_ += lines.size();
      return;
    }
    // On failure the file grows on (room() is another max_size) and the loop goes on.
    file_->rotate();
  }
  append(lines);
}

void LineSink::append(std::string_view lines) {
  if (lines.size() > capacity_ - used_) write_buffer();
  if (lines.size() >= capacity_) {
    write_all(lines.data(), lines.size());
    return;
  }
  std::memcpy(buffer_.get() + used_, lines.data(), lines.size());
  used_ += lines.size();
}

void LineSink::flush() {
  write_buffer();
  if (file_ && !broken()) file_->batch_done();
}

void LineSink::flush_all() {
  flush();
  if (file_ && !broken()) file_->sync_pending();
}

void LineSink::write_buffer() {
  if (used_ == 0) return;
  const size_t size = used_;
  used_ = 0;
  write_all(buffer_.get(), size);
}

void LineSink::write_all(const char* data, size_t size) {
  const int fd = this->fd();
  const char* const start = data;
  while (size > 0 && !broken()) {
    const ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      bytes_written_ += static_cast<uint64_t>(n);
      if (file_) file_->wrote(static_cast<uint64_t>(n));
      continue;
    }
    if (n == 0) {
      error_ = EIO;  // no progress and no reason: do not spin
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) error_ = errno;
    } else {
      error_ = errno;
    }
  }
  bytes_dropped_ += size;
  if (broken() && file_ && data > start) cut_partial_line(start, data);
}

void LineSink::cut_partial_line(const char* start, const char* end) {
  // [start, end) went into the file and begins with a whole line; what follows its last '\n'
  // is the head of a line the failure cut short.
  const void* newline = ::memrchr(start, '\n', static_cast<size_t>(end - start));
  const char* whole_end = newline ? static_cast<const char*>(newline) + 1 : start;
  const uint64_t partial = static_cast<uint64_t>(end - whole_end);
  if (partial == 0 || !file_->drop_tail(partial)) return;
  bytes_written_ -= partial;
  bytes_dropped_ += partial;
}

}  // namespace procflow
