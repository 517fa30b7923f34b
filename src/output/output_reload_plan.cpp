#include "output/output_reload_plan.h"

namespace procflow {

bool same_output(const OutputRoute& a, const OutputRoute& b) {
  return a.uri == b.uri && a.file == b.file && a.format == b.format &&
         a.queue_bytes == b.queue_bytes && a.filter.same_as(b.filter);
}

std::vector<std::optional<size_t>> plan_output_reload(const std::vector<OutputRoute>& running,
                                                      const std::vector<OutputRoute>& loaded) {
  std::vector<bool> taken(running.size(), false);
  std::vector<std::optional<size_t>> plan;
  for (const OutputRoute& wanted : loaded) {
    std::optional<size_t> keep;
    for (size_t i = 0; i < running.size() && !keep; i++)
      if (!taken[i] && same_output(running[i], wanted)) keep = i;
    if (keep) taken[*keep] = true;
    plan.push_back(keep);
  }
  return plan;
}

}  // namespace procflow
