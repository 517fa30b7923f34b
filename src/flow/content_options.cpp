#include "flow/content_options.h"

namespace procflow {

std::string_view to_string(MessagesMode mode) {
  return mode == MessagesMode::first ? "first" : "all";
}

}  // namespace procflow
