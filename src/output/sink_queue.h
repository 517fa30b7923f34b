// The bounded queue in front of one sink: the event loop (or the replay)
// hands over whole events and a thread of the queue's own writes them to the
// sink, so a sink that blocks (a slow reader, a server that is down) never
// holds up the producer. When the queue is full the new event is dropped
// whole and counted (live tracing: the kernel's ring must keep draining), or,
// for a producer that can wait (replay of a file), the producer waits. A sink
// that breaks (EPIPE: the reader is gone) drops everything after; one stuck
// for good is, at shutdown, given `drain`'s time and then left behind (the
// thread is detached, the process exits).
//
// A sink that batches (ClickHouse) tells the thread when it next needs a
// turn without new data (Sink::next_deadline: a batch's age, a retry), and
// drain() asks it to deliver everything it holds (Sink::flush_all).
//
// Thread-safe between one producer and the queue's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "output/sink.h"

namespace procflow {

struct SinkQueueStats {
  uint64_t events_written = 0;  // handed to the sink (a batching sink may still hold them)
  // Every event of this output lost: the queue was full, the sink broken, or
  // the sink gave it up itself (events_dropped_by_sink, a part of this).
  uint64_t events_dropped = 0;
  uint64_t events_dropped_by_sink = 0;     // Sink::events_dropped
  uint64_t events_dropped_queue_full = 0;  // of events_dropped: the queue had no room
  uint64_t events_held = 0;                // in the sink, not yet delivered (Sink::events_held)
  uint64_t bytes_written = 0;
  // A rotating file sink's Sink::rotations, rotation_errors and sync_errors.
  uint64_t rotations = 0;
  uint64_t rotation_errors = 0;
  uint64_t sync_errors = 0;
  int error = 0;  // errno that broke the sink (EPIPE: the reader is gone); 0 if none
};

class SinkQueue {
 public:
  static constexpr size_t default_capacity = 8u << 20;
  // What offer() does when the event does not fit.
  enum class WhenFull { drop, wait };

  explicit SinkQueue(std::unique_ptr<Sink> sink, size_t capacity_bytes = default_capacity,
                     WhenFull when_full = WhenFull::drop);
  // Stops the thread: what is still queued is not written (drain() first).
  ~SinkQueue();
  SinkQueue(const SinkQueue&) = delete;
  SinkQueue& operator=(const SinkQueue&) = delete;

  // Queues one whole event (its complete lines). False, and counted as
  // dropped, when it does not fit (WhenFull::drop) or the sink is broken.
  // Never blocks on the sink with WhenFull::drop; the thread is woken by
  // flush(), or by the queue reaching a quarter of its capacity.
  bool offer(std::string_view event_lines);
  // Wakes the thread for what was offered since the last flush.
  void flush();
  // Waits until everything offered is written and the sink holds nothing
  // back (flush_all), the sink broke, or `timeout` passed. True when
  // everything was delivered.
  bool drain(std::chrono::milliseconds timeout);
  // Asks the sink to reopen (SIGHUP), from its own thread, between writes.
  void reopen();
  // Gives up: what is still queued is discarded and the thread stops after
  // the write it is in. Returns the events not delivered: queued, in the
  // write under way, and held by the sink (a batch, rows waiting for a
  // server) as of its last turn. Nothing may be offered after.
  uint64_t abandon();

  bool broken() const;
  SinkQueueStats stats() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  size_t capacity_;
  WhenFull when_full_;
};

}  // namespace procflow
