// The network every integration test runs on: a fresh network namespace joined
// to the root namespace by a veth pair, with IPv4 and IPv6 addresses from a
// test-only range. Clients run inside the namespace, servers in the root
// namespace, so traffic crosses the host-side veth where procflow attaches TC.
// RAII: names are unique per test (pf-<pid>-<n>), leftovers of the same names
// and of crashed runs are removed before setup, everything is removed after,
// including the namespace's own /etc/netns/<netns>/ (its resolv.conf).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// Who a helper runs as: root, or nobody (65534) via setpriv.
enum class RunAs { root, nobody };

inline constexpr int kNobodyUid = 65534;

// Prefixes argv with setpriv when it must run as nobody.
std::vector<std::string> as_user(std::vector<std::string> argv, RunAs who);

class Topology {
 public:
  // now: builds the namespace and the veth pair at once. later: only chooses
  // the names, so a test can hand them to procflow before the interfaces
  // exist, then calls build().
  enum class When { now, later };

  // Throws std::runtime_error naming the command that failed.
  explicit Topology(When when = When::now);
  ~Topology();
  // Builds what a When::later topology named (once); throws like the constructor.
  void build();
  bool built() const { return subnet_ != 0; }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const std::string& netns() const { return netns_; }
  const std::string& host_if() const { return host_if_; }  // in the root namespace
  const std::string& ns_if() const { return ns_if_; }      // inside netns()

  // Host side (root namespace) is .1 / ::1, the namespace side .2 / ::2
  // (known once built).
  std::string host_ip4() const;
  std::string ns_ip4() const;
  std::string host_ip6() const;
  std::string ns_ip6() const;
  std::string ip6_prefix() const;  // "fd00:213:N::/64"

  // Adds 10.213.N.<host> / fd00:213:N::<host> (host 3..254) to the namespace
  // side of the veth and returns it: an address reachable inside the
  // namespace that no interface of the root namespace has. Throws like build().
  std::string add_ns_ip4(int host);
  std::string add_ns_ip6(int host);

  // N of 10.213.N.0/24 (unique among the topologies that exist; 0 until built).
  int subnet() const { return subnet_; }

  // TSO, GSO and GRO on both ends of the veth, on or off (ethtool -K). With
  // them on, TCP hands the veth 64 KiB super-packets that a capture shows as
  // one frame each; off, every frame in a capture is one TCP segment.
  // Throws like build().
  void set_offloads(bool on);
  // `sysctl -w key=value` inside the namespace (net.* settings of its own,
  // such as net.ipv4.tcp_tw_reuse). Throws like build().
  void set_ns_sysctl(const std::string& key, const std::string& value);

  // Points the namespace's resolver at `ip`: /etc/netns/<netns>/resolv.conf,
  // which `ip netns exec` puts in place of /etc/resolv.conf.
  void use_nameserver(const std::string& ip);

  // argv wrapped to run inside the namespace (and as `who`); `ip netns exec`
  // and setpriv both exec, so the spawned pid is the final program's pid.
  std::vector<std::string> in_ns(std::vector<std::string> argv, RunAs who = RunAs::root) const;
  std::unique_ptr<SpawnedProcess> spawn_in_ns(std::vector<std::string> argv,
                                              RunAs who = RunAs::root) const;

 private:
  void set_up();
  void tear_down() noexcept;

  std::string netns_;
  std::string host_if_;
  std::string ns_if_;
  int number_ = 0;  // n in the names
  int subnet_ = 0;  // N in 10.213.N.0/24 and fd00:213:N::/64; 0 until built
};

}  // namespace procflow_it
