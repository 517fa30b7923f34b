#include "output/sink_queue.h"

#include "util/capabilities.h"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace procflow {

// Owned jointly by the queue object and its thread, so a thread left blocked
// on a stuck sink never touches freed memory.
struct SinkQueue::Shared {
  std::mutex mu;
  std::condition_variable wake;     // the thread: data, reopen, drain, or stop
  std::condition_variable written;  // drain() and a waiting offer(): a batch went out
  std::string pending;              // offered, not yet taken by the thread
  uint64_t pending_events = 0;
  bool writing = false;         // the thread holds a batch it took
  uint64_t writing_events = 0;  // in that batch
  bool reopen = false;
  bool draining = false;    // drain() is waiting: the sink delivers what it holds
  bool drain_kick = false;  // drain() asked for a turn the thread has not taken yet
  bool stop = false;
  bool abandoned = false;  // abandon(): the counts are final
  // The sink's next turn without new data (Sink::next_deadline), read after
  // each turn: only the thread touches the sink.
  std::optional<Sink::Clock::time_point> deadline;
  SinkQueueStats stats;
  std::unique_ptr<Sink> sink;

  void run() {
    std::string batch;
    std::unique_lock lock(mu);
    for (;;) {
      const auto ready = [&] { return stop || reopen || drain_kick || !pending.empty(); };
      if (deadline)
        wake.wait_until(lock, *deadline, ready);
      else
        wake.wait(lock, ready);
      if (stop && pending.empty()) return;
      const bool reopen_now = reopen;
      const bool deliver_all = draining;
      reopen = false;
      drain_kick = false;
      batch.swap(pending);
      const uint64_t events = pending_events;
      pending_events = 0;
      writing = true;
      writing_events = events;
      lock.unlock();
      // The only place that may block on the sink: outside the lock. flush()
      // runs on every turn, also one woken by the sink's deadline alone.
      if (!batch.empty()) sink->write(batch);
      if (deliver_all)
        sink->flush_all();
      else
        sink->flush();
      if (reopen_now) sink->reopen();  // after the batch: it belongs to the old file
      const auto next_deadline = sink->next_deadline();
      const uint64_t held = sink->events_held();
      const uint64_t dropped_by_sink = sink->events_dropped();
      const uint64_t rotations = sink->rotations(), rotation_errors = sink->rotation_errors(),
                     sync_errors = sink->sync_errors();
      lock.lock();
      // Given up on while writing: abandon() counted this batch and what the
      // sink held; the counts stay as they were then, so nothing is counted
      // twice (delivered late, or dropped by the sink after all).
      if (abandoned) return;
      writing = false;
      writing_events = 0;
      deadline = next_deadline;
      batch.clear();
      if (sink->broken()) {
        stats.error = sink->last_error();
        stats.events_dropped += events + pending_events;
        pending.clear();
        pending_events = 0;
      } else {
        stats.events_written += events;
        stats.bytes_written = sink->bytes_written();
      }
      stats.events_held = held;
      stats.rotations = rotations;
      stats.rotation_errors = rotation_errors;
      stats.sync_errors = sync_errors;
      // The sink's own losses are losses of this output too: counted in
      // events_dropped (what the loss report reads), and apart.
      stats.events_dropped += dropped_by_sink - stats.events_dropped_by_sink;
      stats.events_dropped_by_sink = dropped_by_sink;
      written.notify_all();
      if (stop && pending.empty()) return;
    }
  }
};

SinkQueue::SinkQueue(std::unique_ptr<Sink> sink, size_t capacity_bytes, WhenFull when_full)
    : shared_(std::make_shared<Shared>()), capacity_(capacity_bytes), when_full_(when_full) {
  shared_->sink = std::move(sink);
  shared_->pending.reserve(std::min<size_t>(capacity_bytes, 1u << 20));
  // The thread starts with every signal blocked (it inherits the mask it is
  // created with): signals belong to the event loop's signalfd, and one
  // delivered here would kill the process without its clean stop.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread([s = shared_] {
    // A writer needs no privilege: whatever the process still holds, this
    // thread gives up (capabilities are per thread).
    drop_all_capabilities_of_this_thread();
    // Named, so `top -H` (and the least-privilege test) can tell it apart.
    pthread_setname_np(pthread_self(), "pf-output");
    s->run();
  }).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

SinkQueue::~SinkQueue() {
  std::lock_guard lock(shared_->mu);
  shared_->stop = true;
  shared_->pending.clear();
  shared_->wake.notify_all();
}

bool SinkQueue::offer(std::string_view event_lines) {
  std::unique_lock lock(shared_->mu);
  Shared& s = *shared_;
  if (when_full_ == WhenFull::wait && event_lines.size() <= capacity_) {
    // Make room: the thread takes the whole queue at once, so waiting for it
    // to have taken what is there is enough.
    while (s.stats.error == 0 && s.pending.size() + event_lines.size() > capacity_) {
      s.wake.notify_one();
      s.written.wait(lock);
    }
  }
  if (s.stats.error != 0 || s.pending.size() + event_lines.size() > capacity_) {
    s.stats.events_dropped++;
    if (s.stats.error == 0) s.stats.events_dropped_queue_full++;
    return false;
  }
  // A loop turn can offer more than the whole queue before its flush(): the
  // thread starts on a quarter of it, so a burst drains while it is offered
  // instead of being dropped by a thread that was never woken.
  const size_t before = s.pending.size();
  s.pending.append(event_lines);
  s.pending_events++;
  const size_t wake_at = capacity_ / 4;
  if (before < wake_at && s.pending.size() >= wake_at) s.wake.notify_one();
  return true;
}

void SinkQueue::flush() {
  std::lock_guard lock(shared_->mu);
  if (!shared_->pending.empty()) shared_->wake.notify_one();
}

bool SinkQueue::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(shared_->mu);
  Shared& s = *shared_;
  s.draining = true;
  s.drain_kick = true;
  s.wake.notify_one();
  const bool done = s.written.wait_for(lock, timeout, [&] {
    return s.stats.error != 0 ||
           (s.pending.empty() && !s.writing && !s.drain_kick && s.stats.events_held == 0);
  });
  s.draining = false;
  return done && s.stats.error == 0;
}

void SinkQueue::reopen() {
  std::lock_guard lock(shared_->mu);
  shared_->reopen = true;
  shared_->wake.notify_one();
}

uint64_t SinkQueue::abandon() {
  std::lock_guard lock(shared_->mu);
  Shared& s = *shared_;
  // A broken sink's queued events were counted when it broke.
  const uint64_t undelivered =
      s.stats.error ? 0 : s.pending_events + s.writing_events + s.stats.events_held;
  s.stop = true;
  s.abandoned = true;
  s.pending.clear();
  s.pending_events = 0;
  s.wake.notify_all();
  return undelivered;
}

bool SinkQueue::broken() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats.error != 0;
}

SinkQueueStats SinkQueue::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace procflow
