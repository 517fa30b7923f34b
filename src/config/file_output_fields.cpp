// The file-only keys of an output entry (see file_output_fields.h).
#include "config/file_output_fields.h"

namespace procflow {
namespace {

constexpr WholeRange kMaxSizeKib{kMaxSizeKibMin, kMaxSizeKibMax, "a size in KiB"};
constexpr WholeRange kKeep{kKeepMin, kKeepMax, "a number of files"};

void read_rotate(YamlFields& y, const YAML::Node& node, const std::string& path,
                 FileSinkOptions* file) {
  if (!y.map(node, path, {"max_size_kib", "keep"})) return;
  if (!node["max_size_kib"]) {
    y.error(node, path, "needs max_size_kib, e.g. rotate: {max_size_kib: 102400, keep: 5}");
    return;
  }
  if (auto kib = y.whole(node["max_size_kib"], child_path(path, "max_size_kib"), kMaxSizeKib))
    file->max_size_bytes = *kib * 1024;
  if (node["keep"]) {
    if (auto keep = y.whole(node["keep"], child_path(path, "keep"), kKeep))
      file->keep = static_cast<uint32_t>(*keep);
  }
}

}  // namespace

void read_file_output(YamlFields& y, const YAML::Node& entry, const std::string& path,
                      OutputRoute* route) {
  bool uri_had_options = false;
  std::string error;
  if (!take_file_uri_options(&route->uri, &route->file, &uri_had_options, &error))
    y.error(entry["uri"] ? entry["uri"] : entry, child_path(path, "uri"), error);
  const bool is_file = route->uri.starts_with("file:");
  for (const char* key : {"rotate", "fsync"}) {
    const YAML::Node& value = entry[key];
    if (!value) continue;
    const std::string key_path = child_path(path, key);
    if (!is_file) {
      y.error(value, key_path, "only a file: output takes it (this one is " + route->uri + ")");
      continue;
    }
    if (uri_had_options) {
      y.error(value, key_path,
              "the uri has file options (?...) already; give them in one place, the uri or "
              "the keys");
      continue;
    }
    if (std::string(key) == "rotate") {
      read_rotate(y, value, key_path, &route->file);
    } else if (auto name = y.text(value, key_path)) {
      if (auto policy = parse_fsync_policy(*name))
        route->file.fsync = *policy;
      else
        y.error(value, key_path, "expected never, rotate or batch, got '" + *name + "'");
    }
  }
}

}  // namespace procflow
