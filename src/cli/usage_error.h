// What procflow prints and returns when its command line does not parse. CLI11 reports
// everything except a mistyped subcommand well: for `procflow frobnicate` it only says "A
// subcommand is required", so that case gets its own message naming the word and the
// subcommands there are.
#pragma once

#include <CLI/CLI.hpp>

namespace procflow {

// Prints the error (or the --help/--version text, which CLI11 signals as an error) to stderr
// or stdout as CLI11 does, and gives the exit status: 0 for --help and --version, 2 for every
// usage error (CLI11's own codes, 105 and up, are not passed on).
int report_parse_error(CLI::App& app, const CLI::ParseError& error);

}  // namespace procflow
