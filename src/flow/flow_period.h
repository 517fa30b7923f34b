// Periodic reports of long-lived flows (report_interval): CAR's start and end
// bound the collection of a flow's data in a period, so a flow open for days
// is reported every interval as an `end` (end_reason interval) with the
// period's counters, then a `start` of the next period. Every end after the
// first period carries only its own period's counters and start_time, so the
// counters of all periods of a flow add up exactly to its totals.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "procflow/flow_event.h"

namespace procflow {

struct FlowPeriod {
  std::optional<uint64_t> start_us;                   // unset: the flow's own start
  uint64_t in_bytes = 0, out_bytes = 0, packets = 0;  // in earlier periods

  // `ev` carries the flow's totals so far: turn them into this period's
  // share (and start_time into the period's start).
  void narrow(FlowEvent& ev) const {
    if (start_us) ev.start_time_us = start_us;
    auto minus = [](std::optional<uint64_t>& total, uint64_t earlier) {
      if (total) *total -= std::min(*total, earlier);
    };
    minus(ev.in_bytes, in_bytes);
    minus(ev.out_bytes, out_bytes);
    minus(ev.packet_count, packets);
  }
  // After an interval end built from `ev` (already narrowed): the next
  // period starts at `now_us`, with what `ev` counted behind it.
  void advance(const FlowEvent& ev, uint64_t now_us) {
    in_bytes += ev.in_bytes.value_or(0);
    out_bytes += ev.out_bytes.value_or(0);
    packets += ev.packet_count.value_or(0);
    start_us = now_us;
  }
};

}  // namespace procflow
