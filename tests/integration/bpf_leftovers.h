// What procflow may leave behind in the kernel after it exits: TC filters on
// the interfaces it attached to, tcx attachments, and BPF programs (procflow
// names all of its programs "pf_*") that no process holds any more. The tests
// use this to prove that a stop, or the next start after a crash, cleans up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace procflow_it {

inline constexpr const char* kProgramPrefix = "pf_";

// Highest BPF program id now; programs loaded later have higher ids.
int64_t max_bpf_prog_id();
// `tc filter show dev DEV ingress|egress` lines, and the programs attached
// to DEV through tcx (queried from the kernel), each as one readable line.
std::vector<std::string> attachments_on(const std::string& dev);
// Whether `lines` (from attachments_on) has a line of `hook` ("tcx ingress",
// "tc egress", ...) that names `program`.
bool has_attachment(const std::vector<std::string>& lines, const std::string& hook,
                    const std::string& program);
// "pf_*" programs with an id above `after_id` that no live process holds a
// file descriptor for (so something in the kernel keeps them alive).
std::vector<std::string> orphaned_programs(int64_t after_id);

}  // namespace procflow_it
