// Buffered line output (see line_sink.h): the only place procflow's event output meets write(2).
#include "output/line_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace procflow {

std::unique_ptr<LineSink> LineSink::to_fd(int fd, size_t buffer_size) {
  return std::unique_ptr<LineSink>(new LineSink(fd, false, buffer_size));
}

int LineSink::open_for_append(const std::string& path, std::string* error) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && error)
    *error = "cannot open " + path + ": " + std::generic_category().message(errno);
  return fd;
}

std::unique_ptr<LineSink> LineSink::to_file(const std::string& path, std::string* error,
                                            size_t buffer_size) {
  const int fd = open_for_append(path, error);
  if (fd < 0) return nullptr;
  std::unique_ptr<LineSink> sink(new LineSink(fd, true, buffer_size));
  sink->path_ = path;
  return sink;
}

void LineSink::reopen() {
  if (path_.empty()) return;
  flush();  // buffered lines belong to the file they were written for
  const int fd = open_for_append(path_, &reopen_error_);
  if (fd < 0) return;
  reopen_error_.clear();
  ::close(fd_);
  fd_ = fd;
}

LineSink::LineSink(int fd, bool owns_fd, size_t buffer_size)
    : fd_(fd),
      owns_fd_(owns_fd),
      buffer_(new char[buffer_size > 0 ? buffer_size : 1]),
      capacity_(buffer_size > 0 ? buffer_size : 1) {}

LineSink::~LineSink() {
  flush();
  // No retry on EINTR: on Linux the descriptor is released even then.
  if (owns_fd_) ::close(fd_);
}

void LineSink::write(std::string_view lines) {
  if (broken()) {
    bytes_dropped_ += lines.size();
    return;
  }
  if (lines.size() > capacity_ - used_) flush();
  if (lines.size() >= capacity_) {
    write_all(lines.data(), lines.size());
    return;
  }
  std::memcpy(buffer_.get() + used_, lines.data(), lines.size());
  used_ += lines.size();
}

void LineSink::flush() {
  if (used_ == 0) return;
  const size_t size = used_;
  used_ = 0;
  write_all(buffer_.get(), size);
}

void LineSink::write_all(const char* data, size_t size) {
  while (size > 0 && !broken()) {
    const ssize_t n = ::write(fd_, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      bytes_written_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      error_ = EIO;  // no progress and no reason: do not spin
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) error_ = errno;
    } else {
      error_ = errno;
    }
  }
  bytes_dropped_ += size;
}

}  // namespace procflow
