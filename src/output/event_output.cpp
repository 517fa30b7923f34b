#include "output/event_output.h"

#include "output/output_reload_plan.h"
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

std::optional<EventOutput::Route> EventOutput::open_route(const OutputRoute& r,
                                                          SinkQueue::WhenFull when_full,
                                                          std::string* error) {
  std::string why;
  auto sink = open_sink(r.uri, r.file, &why);
  if (!sink) {
    *error = "output " + r.uri + ": " + why;
    return std::nullopt;
  }
  Route route{r, is_stdout_uri(r.uri),
              std::make_unique<SinkQueue>(std::move(sink), r.queue_bytes, when_full)};
  if (const std::string header = r.format.header(); !header.empty()) route.queue->offer(header);
  return route;
}

std::unique_ptr<EventOutput> EventOutput::open(const std::vector<OutputRoute>& routes,
                                               SinkQueue::WhenFull when_full, std::string* error) {
  auto output = std::unique_ptr<EventOutput>(new EventOutput());
  for (const OutputRoute& r : routes) {
    auto route = open_route(r, when_full, error);
    if (!route) return nullptr;
    output->routes_.push_back(std::move(*route));
  }
  output->line_.reserve(4096);
  return output;
}

bool EventOutput::reconfigure(const std::vector<OutputRoute>& routes, SinkQueue::WhenFull when_full,
                              std::unique_ptr<EventOutput>* retired, OutputChanges* changes,
                              std::string* error) {
  std::vector<OutputRoute> running;
  for (const Route& r : routes_) running.push_back(r.description);
  const std::vector<std::optional<size_t>> plan = plan_output_reload(running, routes);
  // Everything new is opened before anything moves: a failure leaves the
  // running routes as they were.
  std::vector<std::optional<Route>> opened(routes.size());
  for (size_t i = 0; i < routes.size(); i++) {
    if (plan[i]) continue;
    opened[i] = open_route(routes[i], when_full, error);
    if (!opened[i]) return false;
  }
  *changes = {};
  std::vector<bool> kept(routes_.size(), false);
  std::vector<Route> next;
  for (size_t i = 0; i < routes.size(); i++) {
    if (plan[i]) {
      kept[*plan[i]] = true;
      next.push_back(std::move(routes_[*plan[i]]));
      changes->kept++;
    } else {
      next.push_back(std::move(*opened[i]));
      changes->opened++;
    }
  }
  auto old = std::unique_ptr<EventOutput>(new EventOutput());
  for (size_t i = 0; i < routes_.size(); i++)
    if (!kept[i]) old->routes_.push_back(std::move(routes_[i]));
  changes->retired = old->routes_.size();
  routes_ = std::move(next);
  *retired = old->routes_.empty() ? nullptr : std::move(old);
  return true;
}

uint64_t EventOutput::abandon(Undelivered why) {
  uint64_t total = 0;
  for (Route& r : routes_) {
    const uint64_t n = r.queue->abandon();
    (why == Undelivered::retired ? r.dropped_retired : r.dropped_shutdown) += n;
    total += n;
  }
  return total;
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
  for (const Route& r : routes_)
    n += r.queue->stats().events_dropped + r.dropped_retired + r.dropped_shutdown;
  return n;
}

std::vector<OutputRouteStats> EventOutput::stats() const {
  std::vector<OutputRouteStats> out;
  for (const Route& r : routes_)
    out.push_back({r.description.uri, r.queue->stats(), r.events_by_action, r.lost_events,
                   r.dropped_retired, r.dropped_shutdown});
  return out;
}

}  // namespace procflow
