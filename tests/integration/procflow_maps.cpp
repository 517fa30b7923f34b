// Reading procflow's BPF maps through bpftool; see procflow_maps.h.
#include "procflow_maps.h"

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "spawned_process.h"

namespace procflow_it {
namespace {

std::set<uint32_t> held_map_ids(pid_t pid) {
  namespace fs = std::filesystem;
  std::set<uint32_t> ids;
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::ifstream info(fd.path());
    for (std::string line; std::getline(info, line);) {
      if (line.rfind("map_id:", 0) == 0)
        ids.insert(static_cast<uint32_t>(std::stoul(line.substr(7))));
    }
  }
  return ids;
}

rapidjson::Document bpftool_json(const std::vector<std::string>& argv) {
  CommandResult result = run_command(argv, 60s);
  if (!result.ok()) throw std::runtime_error(result.describe(argv));
  rapidjson::Document doc;
  doc.Parse(result.out.c_str(), result.out.size());
  if (doc.HasParseError()) throw std::runtime_error("bpftool printed no JSON: " + result.out);
  return doc;
}

// bpftool prints bytes as strings "0x1f".
std::vector<uint8_t> hex_bytes(const rapidjson::Value& array) {
  std::vector<uint8_t> out;
  if (!array.IsArray()) return out;
  for (const auto& byte : array.GetArray()) {
    if (byte.IsString())
      out.push_back(static_cast<uint8_t>(std::stoul(byte.GetString(), nullptr, 16)));
  }
  return out;
}

}  // namespace

uint64_t read_u64(const std::vector<uint8_t>& bytes, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && offset + i < bytes.size(); ++i)
    v |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
  return v;
}

uint32_t read_u32(const std::vector<uint8_t>& bytes, size_t offset) {
  return static_cast<uint32_t>(read_u64(bytes, offset) & 0xffffffffu);
}

uint16_t read_u16(const std::vector<uint8_t>& bytes, size_t offset) {
  return static_cast<uint16_t>(read_u64(bytes, offset) & 0xffffu);
}

ProcflowMaps::ProcflowMaps(pid_t pid) {
  for (uint32_t id : held_map_ids(pid)) {
    rapidjson::Document doc =
        bpftool_json({"bpftool", "map", "show", "id", std::to_string(id), "-j"});
    if (doc.IsObject() && doc.HasMember("name") && doc["name"].IsString())
      ids_[doc["name"].GetString()] = id;
  }
}

std::vector<MapEntry> ProcflowMaps::dump(const std::string& name) const {
  rapidjson::Document doc =
      bpftool_json({"bpftool", "map", "dump", "id", std::to_string(id(name)), "-j"});
  std::vector<MapEntry> out;
  if (!doc.IsArray()) throw std::runtime_error("bpftool map dump: not a JSON array");
  for (const auto& entry : doc.GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("key") || !entry.HasMember("value")) continue;
    out.push_back(MapEntry{hex_bytes(entry["key"]), hex_bytes(entry["value"])});
  }
  return out;
}

std::string ProcflowMaps::describe() const {
  std::string out;
  for (const auto& [name, id] : ids_)
    out += (out.empty() ? "" : " ") + name + "=" + std::to_string(id);
  return out;
}

}  // namespace procflow_it
