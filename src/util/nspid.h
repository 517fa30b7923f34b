// The NSpid line of /proc/<pid>/status: a process's pid in each pid namespace
// from the reader's down to the process's own ("NSpid:\t48213\t7"). One
// bounded parser for the hostPID check and the container pid.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace procflow {

// The pids, outermost first; empty when the text has no NSpid line (kernels
// before 4.1) or the line is not what the kernel writes (a field that is no
// pid, more than 33 of them: pid namespaces nest at most 32 deep).
std::vector<uint32_t> nspid_of(std::string_view status_text);

}  // namespace procflow
