#include "output/async_writer.h"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "output/line_sink.h"

namespace procflow {

// Owned jointly by the writer object and its thread, so a thread left
// blocked on a stuck reader never touches freed memory.
struct AsyncWriter::Shared {
  std::mutex mu;
  std::condition_variable wake;     // the writer: data, or stop
  std::condition_variable written;  // drain(): the buffer went out
  std::string pending;              // offered, not yet taken by the writer
  uint64_t pending_events = 0;
  bool writing = false;  // the writer holds a batch it took
  bool stop = false;
  AsyncWriterStats stats;
  std::unique_ptr<LineSink> sink;

  void run() {
    std::string batch;
    std::unique_lock lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return stop || !pending.empty(); });
      if (pending.empty()) return;  // stopping, nothing left
      batch.swap(pending);
      const uint64_t events = pending_events;
      pending_events = 0;
      writing = true;
      lock.unlock();
      // The only place that may block on the reader: outside the lock.
      sink->write(batch);
      sink->flush();
      lock.lock();
      writing = false;
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
      written.notify_all();
      if (stop && pending.empty()) return;
    }
  }
};

AsyncWriter::AsyncWriter(int fd, size_t capacity_bytes)
    : shared_(std::make_shared<Shared>()), capacity_(capacity_bytes) {
  shared_->sink = LineSink::to_fd(fd);
  shared_->pending.reserve(std::min<size_t>(capacity_bytes, 1u << 20));
  // The thread starts with every signal blocked (it inherits the mask it is
  // created with): signals belong to the event loop's signalfd, and one
  // delivered here would kill the process without its clean stop.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread([s = shared_] { s->run(); }).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

AsyncWriter::~AsyncWriter() {
  std::lock_guard lock(shared_->mu);
  shared_->stop = true;
  shared_->pending.clear();
  shared_->wake.notify_all();
}

bool AsyncWriter::offer(std::string_view event_lines) {
  std::lock_guard lock(shared_->mu);
  if (shared_->stats.error != 0 || shared_->pending.size() + event_lines.size() > capacity_) {
    shared_->stats.events_dropped++;
    return false;
  }
  // A loop turn can offer more than the whole buffer before its flush(): the
  // writer starts on a quarter of it, so a burst drains while it is offered
  // instead of being dropped by a writer that was never woken.
  const size_t before = shared_->pending.size();
  shared_->pending.append(event_lines);
  shared_->pending_events++;
  const size_t wake_at = capacity_ / 4;
  if (before < wake_at && shared_->pending.size() >= wake_at) shared_->wake.notify_one();
  return true;
}

void AsyncWriter::flush() {
  std::lock_guard lock(shared_->mu);
  if (!shared_->pending.empty()) shared_->wake.notify_one();
}

bool AsyncWriter::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(shared_->mu);
  shared_->wake.notify_one();
  return shared_->written.wait_for(lock, timeout, [&] {
    return shared_->stats.error != 0 || (shared_->pending.empty() && !shared_->writing);
  }) && shared_->stats.error == 0;
}

bool AsyncWriter::broken() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats.error != 0;
}

AsyncWriterStats AsyncWriter::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace procflow
