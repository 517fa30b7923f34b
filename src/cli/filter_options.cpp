#include "cli/filter_options.h"

#include <spdlog/spdlog.h>

namespace procflow {

bool parse_filter_options(const std::vector<std::string>& hosts, const std::string& actions,
                          EventFilter* filter) {
  std::string error;
  if (!hosts.empty()) {
    filter->hosts = NetworkClassifier::parse(hosts, &error);
    if (!filter->hosts) {
      spdlog::error("--host: {}", error);
      return false;
    }
  }
  if (!actions.empty() && !filter->parse_actions(actions, &error)) {
    spdlog::error("--actions: {}", error);
    return false;
  }
  return true;
}

}  // namespace procflow
