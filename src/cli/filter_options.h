// The event filters shared by `trace` and `replay` (--host, --actions):
// parsed once here, with the same error messages for both commands.
#pragma once

#include <string>
#include <vector>

#include "flow/event_filter.h"

namespace procflow {

// Fills filter->hosts and filter->actions. On a bad value, logs one line
// naming the option and returns false (the caller exits with status 2).
bool parse_filter_options(const std::vector<std::string>& hosts, const std::string& actions,
                          EventFilter* filter);

}  // namespace procflow
