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
#include <optional>
#include <string>
#include <vector>

#include "flow/event_filter.h"
#include "output/event_format.h"
#include "output/file_sink_options.h"
#include "output/sink_queue.h"
#include "procflow/flow_event.h"
#include "service/loss_counts.h"

namespace procflow {

// What one route is, as the command line or the config describes it.
struct OutputRoute {
  std::string uri = "-";  // see sink_uri.h
  // A file: output's rotation and fsync: the command line's URI options
  // (take_file_uri_options) or the config's rotate/fsync keys.
  FileSinkOptions file;
  EventFormat format;
  EventFilter filter;  // this route's own, on top of the global filters; empty passes all
  size_t queue_bytes = SinkQueue::default_capacity;
};

// Why an output was given up on with events it had not delivered yet.
enum class Undelivered {
  retired,   // a reload removed or changed it, and its drain ran out of time
  shutdown,  // procflow stopped, and the final drain ran out of time
};

struct OutputRouteStats {
  std::string uri;
  SinkQueueStats queue;
  // Events this route's filter passed and its queue took, by action
  // (start, message, end); `lost` events apart.
  std::array<uint64_t, 3> events_by_action{};
  uint64_t lost_events = 0;
  // Events still queued or held by the sink when the output was given up on
  // (abandon()), by why. Not in queue.events_dropped.
  uint64_t dropped_retired = 0;
  uint64_t dropped_shutdown = 0;

  // Every event this output lost, whatever the reason.
  uint64_t events_dropped() const {
    return queue.events_dropped + dropped_retired + dropped_shutdown;
  }
};

// What a reconfigure() did: routes kept as they ran, opened, and given back
// to be retired.
struct OutputChanges {
  size_t kept = 0;
  size_t opened = 0;
  size_t retired = 0;
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
  // A reload: becomes `routes`. A route whose description is unchanged
  // (same_output) is kept with its queue, thread, held rows and counters;
  // the others are opened. The routes no longer wanted are moved into
  // `*retired` (nullptr when none) for the caller to drain off its thread.
  // If a new route cannot be opened nothing changes: false with `error`.
  // Between two emits only: every event goes to the old routes or the new.
  bool reconfigure(const std::vector<OutputRoute>& routes, SinkQueue::WhenFull when_full,
                   std::unique_ptr<EventOutput>* retired, OutputChanges* changes,
                   std::string* error);
  // Gives up on what every route still queues or its sink holds (after a
  // drain() that ran out of time): counted as dropped for `why`, and the
  // routes' threads stop after the write they are in. Returns the count.
  uint64_t abandon(Undelivered why);

  // True when one route writes to standard output.
  bool writes_stdout() const;
  // The reader of standard output went away (EPIPE): an interactive command stops.
  bool stdout_gone() const;
  uint64_t events_dropped() const;  // over all routes, abandoned events included
  std::vector<OutputRouteStats> stats() const;

 private:
  struct Route {
    OutputRoute description;
    bool is_stdout = false;
    std::unique_ptr<SinkQueue> queue;
    std::array<uint64_t, 3> events_by_action{};
    uint64_t lost_events = 0;
    uint64_t dropped_retired = 0;
    uint64_t dropped_shutdown = 0;
  };
  static std::optional<Route> open_route(const OutputRoute& r, SinkQueue::WhenFull when_full,
                                         std::string* error);
  std::vector<Route> routes_;
  std::string line_;  // reused: one event's bytes
};

}  // namespace procflow
