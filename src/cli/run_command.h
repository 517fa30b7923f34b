// `procflow run --config FILE`: the service. Reads the YAML config
// (deploy/procflow.yaml), traces until SIGINT/SIGTERM/SIGQUIT, and reloads
// the config on SIGHUP (outputs, schemas, filters, log level) without
// detaching anything. `--check-config` only checks the file.
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

// Registers the subcommand; the returned callback runs it and gives the exit status.
std::function<int()> add_run_command(CLI::App& app);

}  // namespace procflow
