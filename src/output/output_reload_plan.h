// Which outputs a reload keeps. An output whose description did not change
// (URI with its options, file rotation and fsync, schema and layout, filter,
// queue size) is kept as it runs: its queue, its thread, the rows a
// ClickHouse sink holds while its server is down, and its counters. Only
// added or changed outputs are opened, only removed or changed ones retired.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "output/event_output.h"

namespace procflow {

// Both describe the same output: running one for the other changes nothing.
bool same_output(const OutputRoute& a, const OutputRoute& b);

// For each route of `loaded`, the index of the running route it keeps, or
// nullopt when it must be opened. A running route is kept at most once (two
// identical outputs stay two). Running routes no index names are retired.
std::vector<std::optional<size_t>> plan_output_reload(const std::vector<OutputRoute>& running,
                                                      const std::vector<OutputRoute>& loaded);

}  // namespace procflow
