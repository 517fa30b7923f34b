// `procflow probe`: the kernel features found and the attach plan chosen,
// with what every missing hook costs.
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

std::function<int()> add_probe_command(CLI::App& app);

}  // namespace procflow
