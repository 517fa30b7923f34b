#include "output/event_output.h"

#include "output/sink_uri.h"

namespace procflow {
namespace {

// The counters are indexed by the action's value.
static_assert(static_cast<size_t>(FlowAction::start) == 0 &&
              static_cast<size_t>(FlowAction::message) == 1 &&
              static_cast<size_t>(FlowAction::end) == 2);
size_t action_index(FlowAction action) {
  return static_cast<size_t>(action);
}

}  // namespace

std::unique_ptr<EventOutput> EventOutput::open(const std::vector<OutputRoute>& routes,
                                               SinkQueue::WhenFull when_full, std::string* error) {
  auto output = std::unique_ptr<EventOutput>(new EventOutput());
  for (const OutputRoute& r : routes) {
    std::string why;
    auto sink = open_sink(r.uri, &why);
    if (!sink) {
      *error = "output " + r.uri + ": " + why;
      return nullptr;
    }
    Route route{r, is_stdout_uri(r.uri),
                std::make_unique<SinkQueue>(std::move(sink), r.queue_bytes, when_full)};
    if (const std::string header = r.format.header(); !header.empty()) route.queue->offer(header);
    output->routes_.push_back(std::move(route));
  }
  output->line_.reserve(4096);
  return output;
}

void EventOutput::emit(const FlowEvent& e) {
  for (Route& r : routes_) {
    if (!r.description.filter.matches(e)) continue;
    line_.clear();
    r.description.format.append_event(e, line_);
    if (r.queue->offer(line_)) r.events_by_action[action_index(e.action)]++;
  }
}

void EventOutput::emit_lost(const LossCounts& delta, uint64_t since_us, uint64_t now_us) {
  for (Route& r : routes_) {
    line_.clear();
    if (r.description.format.append_lost(delta, since_us, now_us, line_) && r.queue->offer(line_))
      r.lost_events++;
  }
}

void EventOutput::flush() {
  for (Route& r : routes_) r.queue->flush();
}

bool EventOutput::drain(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all = true;
  for (Route& r : routes_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    all = r.queue->drain(std::max(left, std::chrono::milliseconds(0))) && all;
  }
  return all;
}

void EventOutput::reopen() {
  for (Route& r : routes_) r.queue->reopen();
}

bool EventOutput::writes_stdout() const {
  for (const Route& r : routes_)
    if (r.is_stdout) return true;
  return false;
}

bool EventOutput::stdout_gone() const {
  for (const Route& r : routes_)
    if (r.is_stdout && r.queue->broken()) return true;
  return false;
}

uint64_t EventOutput::events_dropped() const {
  uint64_t n = 0;
  for (const Route& r : routes_) n += r.queue->stats().events_dropped;
  return n;
}

std::vector<OutputRouteStats> EventOutput::stats() const {
  std::vector<OutputRouteStats> out;
  for (const Route& r : routes_)
    out.push_back({r.description.uri, r.queue->stats(), r.events_by_action, r.lost_events});
  return out;
}

}  // namespace procflow
