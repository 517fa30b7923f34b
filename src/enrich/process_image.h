// What procflow reports about the image a process runs: its path as the
// process sees it, and what is unusual about it (deleted, an anonymous
// in-memory file, a path too long to capture whole). Built from the kernel's
// exec record or from /proc/<pid>/exe; docs/events.md#image_path says how it
// appears in events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace procflow {

// Starts image_path when only the tail of a longer path is known, so that it
// can never be taken for an absolute path: ".../sshd/x/evil".
inline constexpr std::string_view kTruncatedPathMarker = "...";

struct ProcessImage {
  std::string path;        // absolute; kTruncatedPathMarker + tail when truncated; "" = unknown
  bool deleted = false;    // /proc/<pid>/exe ends (or would end) in " (deleted)"
  bool memfd = false;      // a file on no mounted filesystem (memfd_create): "/memfd:NAME"
  bool truncated = false;  // path holds the last components of a longer one

  bool known() const { return !path.empty(); }
  // The image's file name: right even when the path is truncated.
  std::string_view exe() const;
  bool operator==(const ProcessImage&) const = default;
};

// The path the kernel resolved at exec (pf_proc_exec.exe_path, "" when it
// did not) and its enum pf_image_flag bits.
ProcessImage image_from_kernel(std::string_view exe_path, uint32_t flags);

// The text of readlink(/proc/<pid>/exe). The kernel appends " (deleted)" to
// an unlinked or replaced file and to every memfd ("/memfd:NAME (deleted)").
ProcessImage image_from_exe_link(std::string_view link);

// A truncated image completed from the exe link of the same process, read
// while it still runs: the link must end with the captured tail at a
// component boundary. Returns whether the image is now whole.
bool complete_from_exe_link(ProcessImage& image, std::string_view link);

// The path given to execve() when it can name the image: not cut off by the
// record's buffer, and not a descriptor path ("/dev/fd/3" from fexecve names
// no file). Relative paths are joined to `cwd` ("" = unknown: kept relative).
ProcessImage image_from_exec_filename(std::string_view filename, bool filename_cut,
                                      std::string_view cwd);

}  // namespace procflow
