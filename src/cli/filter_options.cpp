#include "cli/filter_options.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"

namespace procflow {

void add_filter_options(CLI::App* cmd, std::vector<uint16_t>* ports,
                        std::vector<std::string>* hosts, std::string* actions) {
  cmd->add_option("--port", *ports, "only flows with this source or destination port")
      ->type_name("PORT")
      ->transform(in_range(option_ranges::kPort))
      ->delimiter(',');
  cmd->add_option("--host", *hosts, "only flows to or from this IP or CIDR")
      ->check(non_empty("IP addresses or CIDRs"))
      ->delimiter(',');
  cmd->add_option("--actions", *actions, "start,message,end (default: all)")
      ->check(non_empty("start, message or end"));
}

void add_internal_networks_option(CLI::App* cmd, std::vector<std::string>* networks) {
  cmd->add_option("--internal-networks", *networks,
                  "CIDRs counted as internal for network_direction (default: RFC 1918, "
                  "loopback, link-local, ULA)")
      ->check(non_empty("CIDRs"))
      ->delimiter(',');
}

bool parse_filter_options(const std::vector<std::string>& hosts, const std::string& actions,
                          EventFilter* filter) {
  std::string error;
  if (!hosts.empty()) {
    filter->hosts = NetworkClassifier::parse(hosts, &error);
    filter->host_cidrs = hosts;
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
