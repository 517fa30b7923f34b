// Counting a test's entries in procflow's maps; see soak_maps.h.
#include "soak_maps.h"

#include <sstream>

namespace procflow_it {
namespace {

constexpr size_t kExamples = 5;

std::string hex(const std::vector<uint8_t>& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Which entries of each map are the test's (offsets from bpf/*.h).
bool of_test(const std::string& map, const MapEntry& e, const TestFootprint& t) {
  if (map == "flows") return t.pids.count(read_u32(e.value, 8));  // pf_flow_state.owner_tgid
  if (map == "listeners") {                                       // pf_listener_key
    const uint64_t netns = read_u64(e.key, 0);
    return netns == t.netns || (netns == t.root_netns && t.root_ports.count(read_u16(e.key, 8)));
  }
  if (map == "udp_flows") {  // pf_udp_key: sock_id, peer_addr[16], peer_port, family
    return e.key.size() > 26 && e.key[26] == 4 && e.key[8] == 10 && e.key[9] == 213 &&
           e.key[10] == t.subnet;
  }
  if (map == "udp_peer_pendin") return t.pids.count(read_u32(e.key, 0));  // the thread id
  return false;
}

}  // namespace

std::map<std::string, MapCensus> census(const ProcflowMaps& maps, const TestFootprint& test) {
  std::map<std::string, MapCensus> out;
  for (const char* name :
       {"flows", "listeners", "udp_flows", "udp_peer_pendin", "wire", "wire_retired"}) {
    if (!maps.has(name)) continue;
    MapCensus& c = out[name];
    for (const MapEntry& e : maps.dump(name)) {
      c.total++;
      if (!of_test(name, e, test)) continue;
      c.of_test++;
      if (c.examples.size() < kExamples) c.examples.push_back(hex(e.key) + " -> " + hex(e.value));
    }
  }
  return out;
}

std::string describe(const std::map<std::string, MapCensus>& census) {
  std::ostringstream out;
  for (const auto& [name, c] : census) {
    out << name << " " << c.total << " (" << c.of_test << " of the test)";
    for (const auto& example : c.examples) out << "\n    " << example;
    out << "; ";
  }
  return out.str();
}

}  // namespace procflow_it
