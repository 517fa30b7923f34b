// The output options shared by `trace` and `replay` (--output, --schema,
// --format): parsed once here into the routes of an EventOutput, with the same
// defaults and error messages for both commands.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "output/event_output.h"

namespace procflow {

struct OutputArgs {
  std::vector<std::string> outputs;  // URIs; none given: stdout
  std::string schema;                // car (default), later ocsf, ecs
  std::string format;                // json or text; default: text for a terminal, else json
  std::string colour = "auto";       // --color: auto, always, never (text layout only)
};

// Whether text goes out in colour: `always`, `never`, or `auto`: when it goes
// to a terminal and NO_COLOR (no-color.org) is unset or empty.
bool colour_wanted(std::string_view mode, bool to_terminal, const char* no_color);

void add_output_options(CLI::App* cmd, OutputArgs* args);

// One route per --output, all with the same format and no filter of their own
// (the command's filters apply before). False with `error` on a bad combination.
bool build_output_routes(const OutputArgs& args, size_t queue_bytes,
                         std::vector<OutputRoute>* routes, std::string* error);

}  // namespace procflow
