// `procflow top`: a full-screen live picture of the traced flows, grouped and
// sorted (src/top/), until q or Ctrl-C.
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

// Registers the subcommand; the returned callback runs it and gives the exit status.
std::function<int()> add_top_command(CLI::App& app);

}  // namespace procflow
