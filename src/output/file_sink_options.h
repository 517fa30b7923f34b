// How a file output rotates and how hard it pushes its data to the disk: one
// structure that both ways of describing an output fill, the command line
// (`--output 'file:PATH?max_size_kib=N&keep=N&fsync=POLICY'`) and the service
// config (the `rotate:` and `fsync:` keys of a file output).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "output/uri_parts.h"

namespace procflow {

// When a file sink asks the kernel to put what it wrote on the disk.
enum class FsyncPolicy {
  // Never: the page cache decides. A crash of procflow loses nothing already
  // written; a crash of the machine (power loss, panic) may lose the last
  // seconds of every file, rotated ones included.
  never,
  // fsync(2) a file when it is rotated away or closed (and the directory after
  // the renames): a rotated file survives a machine crash whole and under its
  // new name; the current file may lose its tail.
  rotate,
  // fdatasync(2) after every batch the output thread writes (plus what
  // `rotate` does): after a machine crash the file holds every event
  // written before the last completed batch.
  batch,
};

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view name);
std::string_view fsync_policy_name(FsyncPolicy policy);

struct FileSinkOptions {
  static constexpr uint32_t default_keep = 5;

  // The size a file may reach before it is rotated, in bytes; 0: never rotated.
  uint64_t max_size_bytes = 0;
  // Rotated files kept (PATH.1 newest … PATH.keep oldest); older are deleted.
  uint32_t keep = default_keep;
  FsyncPolicy fsync = FsyncPolicy::never;

  bool rotates() const { return max_size_bytes > 0; }
  bool operator==(const FileSinkOptions&) const = default;
};

// The documented ranges, shared by the URI and the config. Sizes are in KiB
// like every other size in the config (queue_kib, ring_buffer_kib): 1 KiB up
// to 1 TiB. keep: at least one rotated file (0 would delete a whole file of
// events at each rotation), at most 1000 (a rotation renames every kept file).
inline constexpr uint64_t kMaxSizeKibMin = 1, kMaxSizeKibMax = 1ull << 30;
inline constexpr uint64_t kKeepMin = 1, kKeepMax = 1000;

// Reads the file options among a URI's `?` options (max_size_kib, keep,
// fsync) over `options`. False with `error` for an unknown option, a value out
// of range, or keep without max_size_kib.
bool read_file_uri_options(const UriOptions& uri_options, FileSinkOptions* options,
                           std::string* error);

// Splits `file:PATH?OPTIONS` into `file:PATH` (left in `uri`) and the options
// (read into `options`). `had_options` says whether the URI carried any. A
// URI that is not a file: URI is left alone. False with `error` as above.
bool take_file_uri_options(std::string* uri, FileSinkOptions* options, bool* had_options,
                           std::string* error);

}  // namespace procflow
