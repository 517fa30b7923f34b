// A file output's file: rotation and fsync (see rotating_file.h). Nothing
// here logs: it runs on an output's writer thread, and the loggers are
// single-threaded; failures are counted and the last one kept as text.
#include "output/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>

namespace procflow {
namespace {

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

int open_for_append(const std::string& path, std::string* error) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && error) *error = "cannot open " + path + ": " + errno_text(errno);
  return fd;
}

// PATH.(keep-1) → PATH.keep (replacing, so deleting, the oldest), …,
// PATH.1 → PATH.2, then PATH → PATH.1. A kept file that does not exist yet is
// no error. Stops at the first failure, before anything could be renamed
// over a file that was not moved away first: a failure leaves at most a gap
// in the numbers, never a lost file.
bool shift_names(const std::string& path, uint32_t keep, std::string* error) {
  for (uint32_t n = keep; n >= 1; --n) {
    const std::string from = n == 1 ? path : rotated_file_name(path, n - 1);
    const std::string to = rotated_file_name(path, n);
    if (::rename(from.c_str(), to.c_str()) == 0 || (errno == ENOENT && n > 1)) continue;
    *error = "cannot rename " + from + " to " + to + ": " + errno_text(errno);
    return false;
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string rotated_file_name(const std::string& path, uint32_t n) {
  return path + "." + std::to_string(n);
}

std::unique_ptr<RotatingFile> RotatingFile::open(const std::string& path,
                                                 const FileSinkOptions& options,
                                                 std::string* error) {
  const int fd = open_for_append(path, error);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (options.rotates() && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    ::close(fd);
    if (error) *error = path + " is not a regular file: only a regular file rotates";
    return nullptr;
  }
  return std::unique_ptr<RotatingFile>(new RotatingFile(fd, path, options));
}

RotatingFile::RotatingFile(int fd, std::string path, const FileSinkOptions& options)
    : fd_(fd), path_(std::move(path)), options_(options), limit_(options.max_size_bytes) {
  read_size();
}

RotatingFile::~RotatingFile() {
  sync_pending();
  // No retry on EINTR: on Linux the descriptor is released even then.
  ::close(fd_);
}

void RotatingFile::read_size() {
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

uint64_t RotatingFile::room() const {
  if (!options_.rotates()) return std::numeric_limits<uint64_t>::max();
  return size_ < limit_ ? limit_ - size_ : 0;
}

void RotatingFile::wrote(uint64_t bytes) {
  size_ += bytes;
  if (bytes > 0) unsynced_ = true;
}

bool RotatingFile::drop_tail(uint64_t bytes) {
  bytes = std::min(bytes, size_);
  if (::ftruncate(fd_, static_cast<off_t>(size_ - bytes)) != 0) return false;
  size_ -= bytes;
  return true;
}

bool RotatingFile::still_at_path() const {
  struct stat ours {};
  struct stat named {};
  if (::fstat(fd_, &ours) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return ours.st_dev == named.st_dev && ours.st_ino == named.st_ino;
}

void RotatingFile::check_before_first_write() {
  if (checked_) return;
  checked_ = true;
  if (!still_at_path()) {
    std::string error;
    if (const int fd = open_for_append(path_, &error); fd >= 0) switch_to(fd);  // syncs the dir
    return;
  }
  read_size();
  // A file just created must keep its name after a machine crash too. Here, on the output's
  // thread, not at open(): the event loop opens outputs and must not wait for a disk.
  if (options_.fsync != FsyncPolicy::never) sync_directory();
}

void RotatingFile::switch_to(int fd) {
  sync_pending();
  ::close(fd_);
  fd_ = fd;
  unsynced_ = false;
  read_size();
  limit_ = options_.max_size_bytes;
  size_at_last_attempt_ = 0;
  if (options_.fsync != FsyncPolicy::never) sync_directory();
}

bool RotatingFile::reopen(std::string* error) {
  const int fd = open_for_append(path_, error);
  if (fd < 0) return false;
  switch_to(fd);
  return true;
}

bool RotatingFile::rotate() {
  if (!still_at_path()) {
    // Someone else moved it (logrotate without a SIGHUP, the old output of a
    // reload): renaming now would move files that are not ours in order.
    // Writing goes on at the path, as after a reopen.
    std::string error;
    const int fd = open_for_append(path_, &error);
    if (fd < 0) {
      rotation_failed(error);
      return false;
    }
    switch_to(fd);
    size_at_last_attempt_ = size_;
    return true;
  }
  // The full file reaches the disk before its name changes.
  sync_pending();
  std::string error;
  if (!shift_names(path_, options_.keep, &error)) {
    rotation_failed(error);
    return false;
  }
  const int fd = open_for_append(path_, &error);
  if (fd < 0) {
    // Put the file back where readers expect it; if even that fails, writing
    // goes on in PATH.1 and the next attempt opens PATH.
    ::rename(rotated_file_name(path_, 1).c_str(), path_.c_str());
    rotation_failed(error);
    return false;
  }
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  size_at_last_attempt_ = 0;
  limit_ = options_.max_size_bytes;
  unsynced_ = false;
  rotations_++;
  if (options_.fsync != FsyncPolicy::never) sync_directory();
  return true;
}

void RotatingFile::rotation_failed(const std::string& why) {
  rotation_errors_++;
  rotation_error_ = why;
  // The next attempt after another max_size: a failure that lasts costs one
  // attempt per file's worth of data, not one per batch.
  limit_ = size_ + options_.max_size_bytes;
  size_at_last_attempt_ = size_;
}

void RotatingFile::batch_done() {
  if (unsynced_ && options_.fsync == FsyncPolicy::batch) sync(fd_, true);
}

void RotatingFile::sync_pending() {
  if (unsynced_ && options_.fsync != FsyncPolicy::never) sync(fd_, false);
}

void RotatingFile::sync(int fd, bool data_only) {
  syncs_++;
  if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) sync_errors_++;
  if (fd == fd_) unsynced_ = false;
}

void RotatingFile::sync_directory() {
  const std::string dir = directory_of(path_);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    sync_errors_++;
    return;
  }
  sync(fd, false);
  ::close(fd);
}

}  // namespace procflow
