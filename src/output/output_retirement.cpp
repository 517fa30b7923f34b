#include "output/output_retirement.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "util/capabilities.h"

namespace procflow {

OutputRetirement::OutputRetirement(std::chrono::milliseconds drain_timeout)
    : drain_timeout_(drain_timeout) {}

OutputRetirement::~OutputRetirement() {
  wait();
}

void OutputRetirement::retire(std::unique_ptr<EventOutput> output) {
  if (!output) return;
  output->flush();
  Retiring* retiring = nullptr;
  {
    std::lock_guard lock(mu_);
    retiring_.push_back(std::make_unique<Retiring>(Retiring{std::move(output)}));
    retiring = retiring_.back().get();
  }
  // Started with every signal blocked, as the output threads are: signals
  // belong to the event loop's signalfd.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  // Detached: wait() (and the destructor) wait for retiring_ to empty, the
  // thread's last touch of this object.
  std::thread([this, retiring] {
    drop_all_capabilities_of_this_thread();
    pthread_setname_np(pthread_self(), "pf-retire");
    drain_and_destroy(retiring);
  }).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void OutputRetirement::drain_and_destroy(Retiring* retiring) {
  // The output is no longer emitted to: only this thread and draining()
  // (stats, under mu_) touch it.
  retiring->output->drain(drain_timeout_);
  std::lock_guard lock(mu_);
  retiring->output->abandon(Undelivered::retired);
  for (OutputRouteStats& s : retiring->output->stats()) finished_.push_back(std::move(s));
  // Destroying does not block: a route's thread still stuck in a write ends
  // on its own, after it.
  std::erase_if(retiring_, [&](const auto& r) { return r.get() == retiring; });
  if (retiring_.empty()) ended_.notify_all();
}

std::vector<OutputRouteStats> OutputRetirement::draining() const {
  std::lock_guard lock(mu_);
  std::vector<OutputRouteStats> out;
  for (const auto& r : retiring_)
    for (OutputRouteStats& s : r->output->stats()) out.push_back(std::move(s));
  return out;
}

std::vector<OutputRouteStats> OutputRetirement::take_finished() {
  std::lock_guard lock(mu_);
  return std::exchange(finished_, {});
}

uint64_t OutputRetirement::events_dropped() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& r : retiring_) n += r->output->events_dropped();
  for (const OutputRouteStats& s : finished_) n += s.events_dropped();
  return n;
}

void OutputRetirement::wait() {
  std::unique_lock lock(mu_);
  ended_.wait(lock, [&] { return retiring_.empty(); });
}

}  // namespace procflow
