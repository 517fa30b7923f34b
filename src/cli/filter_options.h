// The event filters shared by `trace` and `replay` (--host, --actions):
// parsed once here, with the same error messages for both commands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flow/event_filter.h"

namespace CLI {
class App;
}

namespace procflow {

// --port, --host and --actions, and --internal-networks: registered alike for
// every command that takes them (trace, top, replay).
void add_filter_options(CLI::App* cmd, std::vector<uint16_t>* ports,
                        std::vector<std::string>* hosts, std::string* actions);
void add_internal_networks_option(CLI::App* cmd, std::vector<std::string>* networks);

// Fills filter->hosts and filter->actions. On a bad value, logs one line
// naming the option and returns false (the caller exits with status 2).
bool parse_filter_options(const std::vector<std::string>& hosts, const std::string& actions,
                          EventFilter* filter);

}  // namespace procflow
