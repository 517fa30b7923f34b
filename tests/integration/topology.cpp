// Network namespace + veth fixture for the integration tests; see topology.h.
#include "topology.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace procflow_it {
namespace {

std::atomic<int> g_next_topology{0};

void must(const std::vector<std::string>& argv) {
  CommandResult result = run_command(argv);
  if (!result.ok()) throw std::runtime_error("topology: " + result.describe(argv));
}

void try_run(const std::vector<std::string>& argv) {
  (void)run_command(argv);
}

std::string netns_config_dir(const std::string& netns) {
  return "/etc/netns/" + netns;
}

// Removes namespaces (with their /etc/netns/ configuration) and host-side
// veths that earlier runs of these tests left behind when they crashed; their
// names carry the pid of the run.
void sweep_stale() {
  namespace fs = std::filesystem;
  static const std::regex netns_name(R"(pf-(\d+)-\d+)");
  static const std::regex link_name(R"(pfh(\d+)-\d+)");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
    std::smatch m;
    std::string name = entry.path().filename();
    if (std::regex_match(name, m, netns_name) && !pid_alive(std::stol(m[1]))) {
      try_run({"ip", "netns", "del", name});
    }
  }
  for (const auto& entry : fs::directory_iterator("/etc/netns", ec)) {
    std::smatch m;
    std::string name = entry.path().filename();
    if (std::regex_match(name, m, netns_name) && !pid_alive(std::stol(m[1]))) {
      fs::remove_all(entry.path(), ec);
    }
  }
  for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
    std::smatch m;
    std::string name = entry.path().filename();
    if (std::regex_match(name, m, link_name) && !pid_alive(std::stol(m[1]))) {
      try_run({"ip", "link", "del", name});
    }
  }
}

// A /24 of 10.213.0.0/16 that no interface in the root namespace uses yet.
int pick_subnet(int seed) {
  for (int i = 0; i < 254; ++i) {
    int n = 1 + (seed + i) % 254;
    CommandResult used = run_command(
        {"ip", "-4", "-o", "addr", "show", "to", "10.213." + std::to_string(n) + ".0/24"});
    if (used.ok() && used.out.empty()) return n;
  }
  throw std::runtime_error("topology: every 10.213.N.0/24 is in use");
}

void wait_oper_up(const std::string& ifname) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    std::ifstream state("/sys/class/net/" + ifname + "/operstate");
    std::string value;
    state >> value;
    if (value == "up") return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("topology: " + ifname + " is not up (operstate " + value + ")");
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

std::vector<std::string> as_user(std::vector<std::string> argv, RunAs who) {
  if (who == RunAs::root) return argv;
  std::vector<std::string> out = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Topology::Topology(When when) {
  const int pid = static_cast<int>(getpid());
  number_ = g_next_topology++;
  netns_ = "pf-" + std::to_string(pid) + "-" + std::to_string(number_);
  host_if_ = "pfh" + std::to_string(pid) + "-" + std::to_string(number_);
  ns_if_ = "pfn" + std::to_string(pid) + "-" + std::to_string(number_);
  if (when == When::now) build();
}

void Topology::build() {
  if (built()) return;
  try {
    sweep_stale();
    // Leftovers under our own names (a previous process with the same pid).
    try_run({"ip", "netns", "del", netns_});
    try_run({"ip", "link", "del", host_if_});
    std::error_code ec;
    std::filesystem::remove_all(netns_config_dir(netns_), ec);
    subnet_ = pick_subnet(static_cast<int>(getpid()) * 7 + number_);
    set_up();
  } catch (...) {
    tear_down();
    throw;
  }
}

Topology::~Topology() {
  tear_down();
}

void Topology::set_up() {
  must({"ip", "netns", "add", netns_});
  must({"ip", "link", "add", host_if_, "type", "veth", "peer", "name", ns_if_});
  must({"ip", "link", "set", ns_if_, "netns", netns_});
  must({"ip", "addr", "add", host_ip4() + "/24", "dev", host_if_});
  must({"ip", "-6", "addr", "add", host_ip6() + "/64", "dev", host_if_, "nodad"});
  must({"ip", "link", "set", host_if_, "up"});
  must({"ip", "-n", netns_, "addr", "add", ns_ip4() + "/24", "dev", ns_if_});
  must({"ip", "-n", netns_, "-6", "addr", "add", ns_ip6() + "/64", "dev", ns_if_, "nodad"});
  must({"ip", "-n", netns_, "link", "set", "lo", "up"});
  must({"ip", "-n", netns_, "link", "set", ns_if_, "up"});
  wait_oper_up(host_if_);
}

void Topology::tear_down() noexcept {
  try {
    // Deleting the namespace destroys the peer and with it the host side; the
    // explicit link delete covers a setup that failed before the move.
    try_run({"ip", "netns", "del", netns_});
    if (std::filesystem::exists("/sys/class/net/" + host_if_)) {
      try_run({"ip", "link", "del", host_if_});
    }
    std::error_code ec;
    std::filesystem::remove_all(netns_config_dir(netns_), ec);
  } catch (...) {
    // A destructor must not throw; a leftover is swept by the next run.
  }
}

std::string Topology::host_ip4() const {
  return "10.213." + std::to_string(subnet_) + ".1";
}
std::string Topology::ns_ip4() const {
  return "10.213." + std::to_string(subnet_) + ".2";
}
std::string Topology::host_ip6() const {
  return "fd00:213:" + std::to_string(subnet_) + "::1";
}
std::string Topology::ns_ip6() const {
  return "fd00:213:" + std::to_string(subnet_) + "::2";
}
std::string Topology::ip6_prefix() const {
  return "fd00:213:" + std::to_string(subnet_) + "::/64";
}

std::string Topology::add_ns_ip4(int host) {
  if (!built() || host < 3 || host > 254) throw std::invalid_argument("add_ns_ip4: bad host part");
  std::string ip = "10.213." + std::to_string(subnet_) + "." + std::to_string(host);
  must({"ip", "-n", netns_, "addr", "add", ip + "/24", "dev", ns_if_});
  return ip;
}

std::string Topology::add_ns_ip6(int host) {
  if (!built() || host < 3 || host > 254) throw std::invalid_argument("add_ns_ip6: bad host part");
  std::string ip = "fd00:213:" + std::to_string(subnet_) + "::" + std::to_string(host);
  must({"ip", "-n", netns_, "-6", "addr", "add", ip + "/64", "dev", ns_if_, "nodad"});
  return ip;
}

void Topology::set_offloads(bool on) {
  if (!built()) throw std::logic_error("set_offloads: the topology is not built");
  const std::string value = on ? "on" : "off";
  std::vector<std::string> features = {"tso", value, "gso", value, "gro", value};
  std::vector<std::string> host = {"ethtool", "-K", host_if_};
  host.insert(host.end(), features.begin(), features.end());
  must(host);
  std::vector<std::string> ns = in_ns({"ethtool", "-K", ns_if_});
  ns.insert(ns.end(), features.begin(), features.end());
  must(ns);
}

void Topology::set_ns_sysctl(const std::string& key, const std::string& value) {
  if (!built()) throw std::logic_error("set_ns_sysctl: the topology is not built");
  must(in_ns({"sysctl", "-q", "-w", key + "=" + value}));
}

void Topology::use_nameserver(const std::string& ip) {
  const std::string dir = netns_config_dir(netns_);
  std::filesystem::create_directories(dir);
  std::ofstream conf(dir + "/resolv.conf", std::ios::trunc);
  // One attempt, short timeout: a resolver that does not answer fails fast.
  conf << "nameserver " << ip << "\noptions timeout:2 attempts:1\n";
  if (!conf.flush()) throw std::runtime_error("topology: cannot write " + dir + "/resolv.conf");
}

std::vector<std::string> Topology::in_ns(std::vector<std::string> argv, RunAs who) const {
  std::vector<std::string> out = {"ip", "netns", "exec", netns_};
  auto inner = as_user(std::move(argv), who);
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

std::unique_ptr<SpawnedProcess> Topology::spawn_in_ns(std::vector<std::string> argv,
                                                      RunAs who) const {
  return std::make_unique<SpawnedProcess>(in_ns(std::move(argv), who));
}

}  // namespace procflow_it
