// The one output seam of `trace`, `replay` and `run`: a list of routes, each
// a format (schema × layout), a filter of its own, and a sink behind its own
// bounded queue. The collection side calls emit() and never waits for a sink
// (or, for a replay, waits rather than drops: WhenFull::wait); a slow or dead
// sink costs its own route dropped events, counted per route.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flow/event_filter.h"
#include "output/event_format.h"
#include "output/sink_queue.h"
#include "procflow/flow_event.h"
#include "service/loss_counts.h"

namespace procflow {

// What one route is, as the command line or the config describes it.
struct OutputRoute {
  std::string uri = "-";  // see sink_uri.h
  EventFormat format;
  EventFilter filter;  // this route's own, on top of the global filters; empty passes all
  size_t queue_bytes = SinkQueue::default_capacity;
};

struct OutputRouteStats {
  std::string uri;
  SinkQueueStats queue;
  // Events this route's filter passed and its queue took, by action
  // (start, message, end); `lost` events apart.
  std::array<uint64_t, 3> events_by_action{};
  uint64_t lost_events = 0;
};

class EventOutput {
 public:
  // Opens every route's sink; nullptr with `error` naming the route that failed.
  static std::unique_ptr<EventOutput> open(const std::vector<OutputRoute>& routes,
                                           SinkQueue::WhenFull when_full, std::string* error);

  void emit(const FlowEvent& e);
  void emit_lost(const LossCounts& delta, uint64_t since_us, uint64_t now_us);
  // Wakes every route's thread for what was emitted since the last flush.
  void flush();
  // Waits (at most `timeout` in all) until every route wrote what it was given.
  bool drain(std::chrono::milliseconds timeout);
  // SIGHUP: file sinks open their paths again.
  void reopen();

  // True when one route writes to standard output.
  bool writes_stdout() const;
  // The reader of standard output went away (EPIPE): an interactive command stops.
  bool stdout_gone() const;
  uint64_t events_dropped() const;  // over all routes
  std::vector<OutputRouteStats> stats() const;

 private:
  struct Route {
    OutputRoute description;
    bool is_stdout = false;
    std::unique_ptr<SinkQueue> queue;
    std::array<uint64_t, 3> events_by_action{};
    uint64_t lost_events = 0;
  };
  std::vector<Route> routes_;
  std::string line_;  // reused: one event's bytes
};

}  // namespace procflow
