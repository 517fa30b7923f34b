#include "bpf/program_stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fstream>

namespace procflow {

bool bpf_stats_enabled(const std::string& proc_root) {
  std::ifstream in(proc_root + "/sys/kernel/bpf_stats_enabled");
  int value = 0;
  return static_cast<bool>(in >> value) && value != 0;
}

std::vector<ProgramRunStats> read_program_stats(const bpf_object* object) {
  std::vector<ProgramRunStats> out;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, object) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;  // not loaded in this attach plan
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) continue;
    out.push_back({bpf_program__name(prog), info.run_cnt, info.run_time_ns, info.recursion_misses});
  }
  return out;
}

}  // namespace procflow
