// A CLI11 validator for text and list options where an empty value is a mistake, not a choice:
// `--interfaces ''` would trace no interface, `--actions ''` and `--disable-hook ''` would
// silently mean the default, `--exe ''` would match no event. (An empty value is what a
// script passes when its variable is unset.) With a delimiter, CLI11 drops the empty items of
// "a,,b" and rejects a lone ",", so the value left to catch is the empty one.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace procflow {

// Rejects "" with "empty value: expected <expected>", e.g. "expected interface names".
CLI::Validator non_empty(std::string expected);

}  // namespace procflow
