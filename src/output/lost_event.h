// The `lost` event: what procflow lost since the previous one, in the event
// stream itself, so whoever reads the flows also learns what is missing from
// them. One JSON object (`"object":"lost"`) or one text line; only counters
// that moved are written.
//
//   {"object":"lost","timestamp":"...","since":"...","records":{"tcp_end":3},
//    "drops":{"udp_unknown_peer":2},"undecodable":0,"flows_end_lost":1,
//    "events_not_written":10}
#pragma once

#include <cstdint>
#include <string>

#include "service/loss_counts.h"

namespace procflow {

void append_lost_json(const LossCounts& delta, uint64_t since_us, uint64_t now_us,
                      std::string& out);
void append_lost_text(const LossCounts& delta, uint64_t since_us, uint64_t now_us,
                      std::string& out);

}  // namespace procflow
