#include "cli/non_empty_option.h"

namespace procflow {

CLI::Validator non_empty(std::string expected) {
  // No description: the help text's type name stays as it was ("TEXT ...").
  return CLI::Validator(
      [expected](std::string& value) {
        return value.empty() ? "empty value: expected " + expected : std::string();
      },
      "");
}

}  // namespace procflow
