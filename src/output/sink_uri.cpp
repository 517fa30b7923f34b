#include "output/sink_uri.h"

#include <unistd.h>

#include "output/line_sink.h"

namespace procflow {

bool is_stdout_uri(std::string_view uri) {
  return uri == "-" || uri == "stdout";
}

std::unique_ptr<Sink> open_sink(std::string_view uri, std::string* error) {
  if (is_stdout_uri(uri)) return LineSink::to_fd(STDOUT_FILENO);
  constexpr std::string_view file_scheme = "file:";
  if (uri.starts_with(file_scheme)) {
    const std::string path(uri.substr(file_scheme.size()));
    if (path.empty()) {
      *error = "file: needs a path, e.g. file:/var/log/procflow/flows.json";
      return nullptr;
    }
    return LineSink::to_file(path, error);
  }
  *error = "unknown output '" + std::string(uri) + "': expected '-' (stdout) or file:PATH";
  return nullptr;
}

}  // namespace procflow
