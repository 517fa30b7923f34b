// The entries of procflow's live-state maps that belong to one test, told
// apart from the host's own by what each map's entries carry (bpf/*.h):
//   flows            socket -> state: the owner's pid (any owner: a socket
//                    of the test's processes);
//   listeners        (netns, port): the test's namespace, or the root
//                    namespace's port of a test server;
//   udp_flows        (socket, peer): a peer in the test's /24;
//   udp_peer_pending thread -> peer: a thread of the test's processes (all of
//                    them single-threaded, so tid = pid).
// `wire` and `wire_retired` are LRU maps never deleted from (aged out by
// design) and are only counted.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "procflow_maps.h"

namespace procflow_it {

struct TestFootprint {
  std::set<int64_t> pids;
  uint64_t netns = 0;             // the test namespace's inode
  uint64_t root_netns = 0;        // the root namespace's inode
  std::set<uint16_t> root_ports;  // ports of the test's listeners in the root namespace
  uint8_t subnet = 0;             // N of 10.213.N.0/24
};

struct MapCensus {
  size_t total = 0;
  size_t of_test = 0;
  std::vector<std::string> examples;  // the test's entries, readable (a few)
};

// By map name: flows, listeners, udp_flows, udp_peer_pendin (the kernel's
// 15-character name), wire, wire_retired.
std::map<std::string, MapCensus> census(const ProcflowMaps& maps, const TestFootprint& test);
std::string describe(const std::map<std::string, MapCensus>& census);

}  // namespace procflow_it
