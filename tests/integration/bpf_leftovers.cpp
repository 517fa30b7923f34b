// Inspection of TC filters and BPF programs left in the kernel; see bpf_leftovers.h.
#include "bpf_leftovers.h"

#include <linux/bpf.h>
#include <net/if.h>
#include <rapidjson/document.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "spawned_process.h"

namespace procflow_it {
namespace {

std::vector<std::string> non_empty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t") != std::string::npos) out.push_back(line);
  }
  return out;
}

// Program ids referenced by any open fd of any process (prog fds and link fds
// both show "prog_id:" in their fdinfo).
std::set<int64_t> held_program_ids() {
  namespace fs = std::filesystem;
  std::set<int64_t> ids;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    std::error_code inner;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fdinfo", inner)) {
      std::ifstream info(fd.path());
      for (std::string line; std::getline(info, line);) {
        if (line.rfind("prog_id:", 0) == 0) ids.insert(std::stoll(line.substr(8)));
      }
    }
  }
  return ids;
}

// tcx (kernel 6.6+) attach types; Debian 12's uapi headers predate them, and
// neither `tc filter show` nor its bpftool 7.1 lists tcx links.
constexpr uint32_t kTcxIngress = 46;
constexpr uint32_t kTcxEgress = 47;

// Ids of the programs attached to `dev` through tcx at `attach_type`.
std::vector<uint32_t> tcx_program_ids(const std::string& dev, uint32_t attach_type) {
  unsigned ifindex = if_nametoindex(dev.c_str());
  if (ifindex == 0) return {};
  uint32_t ids[64] = {};
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = ifindex;  // target_ifindex in newer headers, same place
  attr.query.attach_type = attach_type;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  attr.query.prog_cnt = 64;
  if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) != 0) return {};
  return std::vector<uint32_t>(ids, ids + std::min<uint32_t>(attr.query.prog_cnt, 64));
}

struct Program {
  int64_t id;
  std::string name;
  std::string type;
};

std::vector<Program> list_programs() {
  std::vector<Program> programs;
  CommandResult result = run_command({"bpftool", "--json", "prog", "show"});
  rapidjson::Document doc;
  doc.Parse(result.out.c_str());
  if (doc.HasParseError() || !doc.IsArray()) return programs;
  for (const auto& p : doc.GetArray()) {
    if (!p.IsObject() || !p.HasMember("id")) continue;
    Program program{p["id"].GetInt64(), "", ""};
    if (p.HasMember("name") && p["name"].IsString()) program.name = p["name"].GetString();
    if (p.HasMember("type") && p["type"].IsString()) program.type = p["type"].GetString();
    programs.push_back(program);
  }
  return programs;
}

}  // namespace

int64_t max_bpf_prog_id() {
  int64_t max_id = 0;
  for (const auto& p : list_programs()) max_id = std::max(max_id, p.id);
  return max_id;
}

std::vector<std::string> attachments_on(const std::string& dev) {
  std::vector<std::string> found;
  for (const char* hook : {"ingress", "egress"}) {
    CommandResult result = run_command({"tc", "filter", "show", "dev", dev, hook});
    for (const auto& line : non_empty_lines(result.out)) {
      found.push_back(std::string("tc ") + hook + ": " + line);
    }
  }
  std::vector<Program> programs;
  for (auto [hook, type] : {std::pair{"ingress", kTcxIngress}, std::pair{"egress", kTcxEgress}}) {
    for (uint32_t id : tcx_program_ids(dev, type)) {
      if (programs.empty()) programs = list_programs();
      std::string name;
      for (const auto& p : programs) {
        if (p.id == id) name = p.name;
      }
      found.push_back(std::string("tcx ") + hook + ": prog " + std::to_string(id) + " " + name);
    }
  }
  return found;
}

bool has_attachment(const std::vector<std::string>& lines, const std::string& hook,
                    const std::string& program) {
  for (const auto& line : lines) {
    if (line.rfind(hook + ": ", 0) == 0 && line.find(program) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> orphaned_programs(int64_t after_id) {
  auto held = held_program_ids();
  std::vector<std::string> orphans;
  for (const auto& p : list_programs()) {
    if (p.id <= after_id || p.name.rfind(kProgramPrefix, 0) != 0 || held.count(p.id)) continue;
    orphans.push_back("prog " + std::to_string(p.id) + " " + p.type + " " + p.name);
  }
  return orphans;
}

}  // namespace procflow_it
