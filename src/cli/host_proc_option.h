// --host-proc DIR, for every command that reads other processes' /proc
// (trace and top, probe): one registration, so they take it with the same
// help and the same check (an existing directory).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace procflow {

void add_host_proc_option(CLI::App* cmd, std::string* host_proc);

}  // namespace procflow
