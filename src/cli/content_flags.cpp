#include "cli/content_flags.h"

#include <CLI/CLI.hpp>

#include "cli/option_ranges.h"

namespace procflow {

void add_content_options(CLI::App* cmd, ContentArgs* args) {
  namespace ranges = option_ranges;
  cmd->add_option("--content-bytes", args->bytes,
                  "bytes of each turn of a conversation captured per direction for message "
                  "events; 0 turns content capture off (default 512)")
      ->type_name("BYTES")
      ->transform(in_range(ranges::kContentBytes));
  cmd->add_option("--messages", args->messages,
                  "first: one message per direction per flow (a request and its response); "
                  "all: one per turn, e.g. each request on a keep-alive connection (default first)")
      ->check(CLI::IsMember({"first", "all"}));
  cmd->add_option("--max-turns", args->max_turns,
                  "with --messages all: turns captured per direction and flow at most (default 32)")
      ->type_name("N")
      ->transform(in_range(ranges::kMaxTurns));
  cmd->add_flag("--no-redact", args->no_redact,
                "show credentials in content and proto_info (Authorization, cookies, passwords; "
                "for a lab only: every reader of the output sees them)");
}

void apply_content_args(const ContentArgs& args, ContentOptions* options) {
  options->bytes = args.bytes;
  options->messages = args.messages == "all" ? MessagesMode::all : MessagesMode::first;
  options->max_turns = static_cast<uint16_t>(args.max_turns);
  options->redact = !args.no_redact;
}

}  // namespace procflow
