// Parses the comma-separated hook kinds of --disable-hook.
#pragma once

#include <set>
#include <string>

#include "bpf/attach_plan.h"

namespace procflow {

bool parse_hook_list(const std::string& list, std::set<HookKind>* out, std::string* error);

}  // namespace procflow
