// Outputs a reload removed or changed, drained off the event loop's thread:
// each is given a bounded time to deliver what it queued or holds (a
// ClickHouse sink's rows), then whatever is left is counted as dropped with
// reason `retired` (EventOutput::abandon) and the output is destroyed. The
// loop hands an output over and goes on reading the ring at once; it picks
// up the final counts of finished retirements between batches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "output/event_output.h"

namespace procflow {

class OutputRetirement {
 public:
  explicit OutputRetirement(std::chrono::milliseconds drain_timeout);
  // Waits for the retirements under way (each is bounded by drain_timeout).
  ~OutputRetirement();
  OutputRetirement(const OutputRetirement&) = delete;
  OutputRetirement& operator=(const OutputRetirement&) = delete;

  // Returns at once; the output is drained and destroyed by a thread.
  void retire(std::unique_ptr<EventOutput> output);
  // The routes of outputs still draining (their counters so far).
  std::vector<OutputRouteStats> draining() const;
  // The final counts of the routes whose retirement ended since the last call.
  std::vector<OutputRouteStats> take_finished();
  // Events lost by the outputs draining and those not yet taken, at one moment.
  uint64_t events_dropped() const;
  // Waits until every retirement ended: they are bounded, so this is too.
  void wait();

 private:
  struct Retiring {
    std::unique_ptr<EventOutput> output;
  };
  void drain_and_destroy(Retiring* retiring);

  const std::chrono::milliseconds drain_timeout_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Retiring>> retiring_;  // under mu_
  std::vector<OutputRouteStats> finished_;           // under mu_
  std::condition_variable ended_;                    // retiring_ became empty
};

}  // namespace procflow
