// `procflow trace`: live tracing to stdout until Ctrl-C.
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

// Registers the subcommand; the returned callback runs it and gives the exit status.
std::function<int()> add_trace_command(CLI::App& app);

}  // namespace procflow
