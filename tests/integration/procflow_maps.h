// procflow's own BPF maps, read from outside: the map ids its process holds
// (the map_id: lines of /proc/PID/fdinfo), their names (`bpftool map show`),
// and their entries as raw key and value bytes (`bpftool map dump -j`). The
// soak test uses them to prove that maps holding live state drain.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace procflow_it {

struct MapEntry {
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
};

// Little-endian integers out of a key or value (the layouts of bpf/*.h).
uint64_t read_u64(const std::vector<uint8_t>& bytes, size_t offset);
uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t offset);
uint16_t read_u16(const std::vector<uint8_t>& bytes, size_t offset);

class ProcflowMaps {
 public:
  // The maps `pid` holds, by name (as the kernel keeps it: at most 15
  // characters, so "udp_peer_pending" is "udp_peer_pendin"). Throws
  // std::runtime_error when bpftool fails.
  explicit ProcflowMaps(pid_t pid);

  bool has(const std::string& name) const { return ids_.count(name) != 0; }
  uint32_t id(const std::string& name) const { return ids_.at(name); }
  // Every entry of the map (not for per-CPU maps); throws like the constructor.
  std::vector<MapEntry> dump(const std::string& name) const;
  std::string describe() const;  // "events=12 flows=13 ..."

 private:
  std::map<std::string, uint32_t> ids_;
};

}  // namespace procflow_it
