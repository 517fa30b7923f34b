// Reading the file options of a URI (see file_sink_options.h).
#include "output/file_sink_options.h"

namespace procflow {

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view name) {
  if (name == "never") return FsyncPolicy::never;
  if (name == "rotate") return FsyncPolicy::rotate;
  if (name == "batch") return FsyncPolicy::batch;
  return std::nullopt;
}

std::string_view fsync_policy_name(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::never:
      return "never";
    case FsyncPolicy::rotate:
      return "rotate";
    case FsyncPolicy::batch:
      return "batch";
  }
  return "never";
}

bool read_file_uri_options(const UriOptions& uri_options, FileSinkOptions* options,
                           std::string* error) {
  for (const auto& [name, value] : uri_options) {
    if (name != "max_size_kib" && name != "keep" && name != "fsync") {
      *error = "unknown file option '" + name + "' (max_size_kib, keep, fsync)";
      return false;
    }
  }
  FileSinkOptions read = *options;
  const auto max_size_kib = numeric_option(uri_options, "max_size_kib", read.max_size_bytes / 1024,
                                           kMaxSizeKibMin, kMaxSizeKibMax, error);
  if (!max_size_kib) return false;
  read.max_size_bytes = *max_size_kib * 1024;
  const auto keep = numeric_option(uri_options, "keep", read.keep, kKeepMin, kKeepMax, error);
  if (!keep) return false;
  read.keep = static_cast<uint32_t>(*keep);
  if (uri_options.contains("keep") && !read.rotates()) {
    *error = "keep=" + uri_options.find("keep")->second +
             ": files are kept only when they rotate; add max_size_kib=N";
    return false;
  }
  if (const auto fsync = uri_options.find("fsync"); fsync != uri_options.end()) {
    const auto policy = parse_fsync_policy(fsync->second);
    if (!policy) {
      *error = "fsync=" + fsync->second + ": expected never, rotate or batch";
      return false;
    }
    read.fsync = *policy;
  }
  *options = read;
  return true;
}

bool take_file_uri_options(std::string* uri, FileSinkOptions* options, bool* had_options,
                           std::string* error) {
  *had_options = false;
  constexpr std::string_view scheme = "file:";
  if (!std::string_view(*uri).starts_with(scheme)) return true;
  std::string_view path;
  UriOptions uri_options;
  if (!split_options(std::string_view(*uri).substr(scheme.size()), &path, &uri_options, error))
    return false;
  if (!read_file_uri_options(uri_options, options, error)) return false;
  *had_options = !uri_options.empty();
  *uri = std::string(scheme) + std::string(path);
  return true;
}

}  // namespace procflow
