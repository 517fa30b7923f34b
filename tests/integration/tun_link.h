// A point-to-point link of two tun devices between the root namespace and a
// topology's namespace, with helpers/tun_relay as the wire: packets on it have
// no link-layer header at all. The addresses are fd00:2130:86dd:N::1/64 (root
// side) and ::2 (namespace side), N the topology's subnet: their bytes 4-5 are
// 0x86dd, the IPv6 ethertype, which is what bytes 12-13 of each packet hold,
// so a parser that guesses an Ethernet header from those bytes misreads every
// packet on the link. RAII: the devices go away with the relay.
#pragma once

#include <memory>
#include <string>

#include "spawned_process.h"
#include "topology.h"

namespace procflow_it {

class TunLink {
 public:
  // on: the devices take TSO like a VM's tap (tun_relay --offloads), so TCP
  // super-packets cross the link and arrive as untrusted GSO packets.
  enum class Offloads { off, on };

  // Starts the relay, names the devices pft<pid>-<n> (both sides), gives them
  // their addresses and brings them up. Throws std::runtime_error naming what failed.
  explicit TunLink(const Topology& topology, Offloads offloads = Offloads::off);
  ~TunLink();
  TunLink(const TunLink&) = delete;
  TunLink& operator=(const TunLink&) = delete;

  const std::string& root_if() const { return name_; }  // in the root namespace
  const std::string& ns_if() const { return name_; }    // inside the topology's namespace
  std::string root_ip6() const;
  std::string ns_ip6() const;
  // The relay's command line, status and output, for failure messages.
  std::string describe() const;

 private:
  std::string name_;
  std::string prefix_;  // "fd00:2130:86dd:N::"
  std::unique_ptr<SpawnedProcess> relay_;
};

}  // namespace procflow_it
