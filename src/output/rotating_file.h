// The file behind a file output: its descriptor, how much it holds, its
// rotation by size (PATH → PATH.1 → … → PATH.keep, the oldest deleted) and
// its fsync policy. It never writes: LineSink writes whole lines to fd() and
// reports them with wrote(), and asks for a rotation only between lines, so a
// line is never split over two files.
//
// Failures never lose what was written and never stop the output: a rotation
// that cannot rename or open (a directory where a kept file should be, a full
// inode table) is counted (and its reason kept), writing goes on in the same
// file, and the next attempt comes after another max_size of data. A failed
// fsync is counted too.
//
// Not thread-safe: the output's own thread uses it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "output/file_sink_options.h"

namespace procflow {

class RotatingFile {
 public:
  // Opens `path` for appending (created with mode 0640 if missing,
  // close-on-exec). nullptr with `error` when it cannot be opened, or when it
  // is to rotate and is not a regular file (renaming /dev/stdout would be
  // wrong).
  static std::unique_ptr<RotatingFile> open(const std::string& path, const FileSinkOptions& options,
                                            std::string* error);
  // fsync (unless never), then close.
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const FileSinkOptions& options() const { return options_; }

  // Bytes the current file takes before it is due for rotation (UINT64_MAX
  // when it never rotates); 0 when due.
  uint64_t room() const;
  // Nothing was written since the file was opened empty or since the last
  // rotation attempt: then a line that does not fit goes in whole anyway (a
  // line larger than max_size gets a file of its own; a failed rotation does
  // not hold the output up).
  bool fresh() const { return size_ == size_at_last_attempt_; }
  void wrote(uint64_t bytes);
  // A write failed half-way (the disk is full): the last `bytes` written, the
  // start of a line that could not be finished, are cut off again, so the
  // file ends with a whole line. False when the file could not be truncated.
  bool drop_tail(uint64_t bytes);

  // Before the first write: a file output of a reloaded config was opened
  // while the old one still wrote (and maybe rotated) the same path, so the
  // size is read again, and a file that is no longer at the path is left
  // for the one that is. Under an fsync policy the directory is synced
  // (the file may have just been created).
  void check_before_first_write();

  // Renames the full file away and starts a new one. False when it failed
  // (counted; the same file goes on).
  bool rotate();
  // SIGHUP (logrotate moved the file): the path is opened again. False, with
  // `error`, when it cannot be; the old descriptor stays.
  bool reopen(std::string* error);
  // The end of a batch: fdatasync under FsyncPolicy::batch if anything was
  // written since the last sync.
  void batch_done();
  // What was written since the last sync is fsync'ed, unless the policy is never (as at a
  // close).
  void sync_pending();

  uint64_t rotations() const { return rotations_; }
  uint64_t rotation_errors() const { return rotation_errors_; }
  const std::string& rotation_error() const { return rotation_error_; }  // the last one
  uint64_t syncs() const { return syncs_; }  // fsync and fdatasync calls, directories included
  uint64_t sync_errors() const { return sync_errors_; }

 private:
  RotatingFile(int fd, std::string path, const FileSinkOptions& options);
  // Reads the size of what fd_ refers to into size_.
  void read_size();
  // Whether fd_ is still the file at path_ (not moved away by someone else).
  bool still_at_path() const;
  // Puts fd_ to `fd` (a new file at path_), syncing and closing the old one.
  void switch_to(int fd);
  // fsync or fdatasync under the policy, counted.
  void sync(int fd, bool data_only);
  void sync_directory();
  void rotation_failed(const std::string& why);

  int fd_;
  std::string path_;
  FileSinkOptions options_;
  uint64_t size_ = 0;
  uint64_t limit_ = 0;  // size at which the current file is due (max_size, later more on failure)
  uint64_t size_at_last_attempt_ = 0;
  bool unsynced_ = false;  // written since the last sync
  bool checked_ = false;   // check_before_first_write() ran
  uint64_t rotations_ = 0;
  uint64_t rotation_errors_ = 0;
  std::string rotation_error_;
  uint64_t syncs_ = 0;
  uint64_t sync_errors_ = 0;
};

// PATH.N, the name of the Nth newest rotated file.
std::string rotated_file_name(const std::string& path, uint32_t n);

}  // namespace procflow
