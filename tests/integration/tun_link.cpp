// Tun-device link between the root namespace and a test namespace; see tun_link.h.
#include "tun_link.h"

#include <signal.h>

#include <stdexcept>

#include "helper_programs.h"
#include "json_line.h"

namespace procflow_it {
namespace {

void must(const std::vector<std::string>& argv, const std::string& context) {
  CommandResult result = run_command(argv);
  if (!result.ok())
    throw std::runtime_error("tun link: " + result.describe(argv) + "\nrelay:\n" + context);
}

}  // namespace

TunLink::TunLink(const Topology& topology, Offloads offloads) {
  // pfh<pid>-<n> -> pft<pid>-<n>: unique like the veth, and as short.
  name_ = "pft" + topology.host_if().substr(3);
  prefix_ = "fd00:2130:86dd:" + std::to_string(topology.subnet()) + "::";
  std::vector<std::string> argv = {helper_path(Helper::tun_relay), name_, topology.netns(), name_};
  if (offloads == Offloads::on) argv.push_back("--offloads");
  relay_ = std::make_unique<SpawnedProcess>(argv);
  auto ready = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      auto json = JsonLine::parse(line);
      if (json && (json->boolean("ready") || json->str("error"))) return true;
    }
    return false;
  };
  relay_->out().wait_for(ready, 10s);
  bool up = false;
  for (const auto& line : relay_->out().lines()) {
    auto json = JsonLine::parse(line);
    if (json && json->boolean("ready").value_or(false)) up = true;
  }
  if (!up) {
    relay_->wait(1s);
    throw std::runtime_error("tun link: the relay did not create its devices:\n" + describe());
  }
  must({"ip", "-6", "addr", "add", root_ip6() + "/64", "dev", name_, "nodad"}, describe());
  must({"ip", "link", "set", name_, "up"}, describe());
  must(topology.in_ns({"ip", "-6", "addr", "add", ns_ip6() + "/64", "dev", name_, "nodad"}),
       describe());
  must(topology.in_ns({"ip", "link", "set", name_, "up"}), describe());
}

TunLink::~TunLink() {
  if (!relay_) return;
  relay_->signal(SIGTERM);
  if (!relay_->wait(5s)) relay_->kill_group();
}

std::string TunLink::root_ip6() const {
  return prefix_ + "1";
}

std::string TunLink::ns_ip6() const {
  return prefix_ + "2";
}

std::string TunLink::describe() const {
  return relay_ ? relay_->describe() : "tun_relay was not started\n";
}

}  // namespace procflow_it
