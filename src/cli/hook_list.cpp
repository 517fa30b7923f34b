#include "cli/hook_list.h"

#include <sstream>

namespace procflow {

bool parse_hook_list(const std::string& list, std::set<HookKind>* out, std::string* error) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    auto kind = parse_hook_kind(item);
    if (!kind) {
      *error = "unknown hook '" + item + "' (known: " + known_hook_kinds() + ")";
      return false;
    }
    out->insert(*kind);
  }
  return true;
}

}  // namespace procflow
