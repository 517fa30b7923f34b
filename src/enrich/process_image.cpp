// Interpreting the kernel's and /proc's account of a process image; see
// process_image.h.
#include "enrich/process_image.h"

#include <filesystem>

#include "procflow_abi.h"

namespace procflow {
namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";
// memfd_create names its files "memfd:" + the caller's name; d_path() shows
// them at the root of a filesystem nobody can reach.
constexpr std::string_view kMemfdPrefix = "/memfd:";

std::string_view basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view ProcessImage::exe() const {
  return basename_of(path);
}

ProcessImage image_from_kernel(std::string_view exe_path, uint32_t flags) {
  ProcessImage image;
  if (exe_path.empty()) return image;
  image.deleted = flags & PF_IMAGE_DELETED;
  image.memfd = flags & PF_IMAGE_ANONYMOUS;
  image.truncated = flags & PF_IMAGE_TRUNCATED;
  image.path = image.truncated ? std::string(kTruncatedPathMarker) + std::string(exe_path)
                               : std::string(exe_path);
  return image;
}

ProcessImage image_from_exe_link(std::string_view link) {
  ProcessImage image;
  // A file literally named " (deleted)" in / keeps its name: only a suffix
  // after a path is the kernel's mark.
  if (link.size() > kDeletedSuffix.size() && link.ends_with(kDeletedSuffix)) {
    link.remove_suffix(kDeletedSuffix.size());
    image.deleted = true;
  }
  // Indistinguishable from a deleted file really named "/memfd:NAME"; the
  // exec record (image_from_kernel) tells them apart.
  image.memfd = image.deleted && link.starts_with(kMemfdPrefix) &&
                link.find('/', 1) == std::string_view::npos;
  image.path = std::string(link);
  return image;
}

bool complete_from_exe_link(ProcessImage& image, std::string_view link) {
  if (!image.truncated) return true;
  const ProcessImage whole = image_from_exe_link(link);
  const std::string_view tail = std::string_view(image.path).substr(kTruncatedPathMarker.size());
  if (tail.empty() || tail.front() != '/' || !whole.path.starts_with('/') ||
      whole.path.size() <= tail.size() || !std::string_view(whole.path).ends_with(tail))
    return false;
  image.path = whole.path;
  image.truncated = false;
  image.deleted = image.deleted || whole.deleted;
  return true;
}

ProcessImage image_from_exec_filename(std::string_view filename, bool filename_cut,
                                      std::string_view cwd) {
  ProcessImage image;
  if (filename.empty() || filename_cut) return image;
  // execveat(fd, "", AT_EMPTY_PATH) and glibc's fexecve() fallback: the
  // kernel names the descriptor, not the file.
  if (filename.starts_with("/dev/fd/") || filename.starts_with("/proc/self/fd/")) return image;
  if (filename.starts_with('/') || cwd.empty()) {
    image.path = std::string(filename);
  } else {
    image.path = (std::filesystem::path(cwd) / filename).lexically_normal().string();
  }
  return image;
}

}  // namespace procflow
