// The content-capture flags shared by `trace` and `replay` (--content-bytes, --messages,
// --max-turns, --no-redact): one set of names, ranges and help texts for both commands.
#pragma once

#include <cstdint>
#include <string>

#include "flow/content_options.h"

namespace CLI {
class App;
}

namespace procflow {

struct ContentArgs {
  uint32_t bytes = ContentOptions{}.bytes;
  std::string messages = "first";
  uint32_t max_turns = ContentOptions{}.max_turns;
  bool no_redact = false;
};

void add_content_options(CLI::App* cmd, ContentArgs* args);

// The options the flags describe; the rest of *options (rate, TLS plaintext) is left as it was.
void apply_content_args(const ContentArgs& args, ContentOptions* options);

}  // namespace procflow
