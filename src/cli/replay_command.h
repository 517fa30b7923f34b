// `procflow replay FILE`: the flows of a capture file as the same JSON lines (or text) that
// `procflow trace` writes, without the fields only a live host knows (process, sensor host).
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

// Registers the subcommand; the returned callback runs it and gives the exit status (-1 when
// the subcommand was not the one chosen).
std::function<int()> add_replay_command(CLI::App& app);

}  // namespace procflow
