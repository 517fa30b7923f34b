// What each loaded BPF program has cost the kernel: run count and run time,
// which the kernel accounts only while kernel.bpf_stats_enabled is 1 (it
// costs a clock read per run, so it is off by default and procflow never
// turns it on itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct bpf_object;

namespace procflow {

struct ProgramRunStats {
  std::string name;
  uint64_t runs = 0;
  uint64_t run_time_ns = 0;
  uint64_t recursion_misses = 0;  // runs the kernel skipped: the program was already running
};

// kernel.bpf_stats_enabled, read from procfs (`proc_root`/sys/kernel/...).
bool bpf_stats_enabled(const std::string& proc_root = "/proc");

// One entry per loaded program of `object`, in the object's order.
std::vector<ProgramRunStats> read_program_stats(const bpf_object* object);

}  // namespace procflow
