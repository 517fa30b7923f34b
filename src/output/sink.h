// Where serialized events go: stdout, a file, syslog, ClickHouse. Each sink
// sits behind its own SinkQueue and is written by that queue's thread only,
// so a sink may block (a slow reader, a server that is down) without ever
// stalling the collection of events.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace procflow {

class Sink {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~Sink() = default;

  // Takes one or more complete events (lines); never splits one.
  virtual void write(std::string_view lines) = 0;
  // Hands over what is due. A stream sink hands over everything taken so
  // far; a batching sink (ClickHouse) may hold rows back until its batch is
  // full or old enough, or until a retry is due.
  virtual void flush() = 0;
  // Hands over everything it holds, batch or not (shutdown, drain()).
  virtual void flush_all() { flush(); }
  // When flush() has work even if nothing new is written (the oldest held
  // row reaches its age, a retry is due); nullopt: only new data matters.
  virtual std::optional<Clock::time_point> next_deadline() const { return std::nullopt; }
  // Broken for good: what it is given from now on is dropped.
  virtual bool broken() const = 0;
  virtual int last_error() const = 0;  // errno that broke it, 0 if none
  virtual uint64_t bytes_written() const = 0;
  // Events the sink itself gave up on while not broken (its buffer was full
  // while the server was down, a message the network refused), for the loss
  // report. A sink that never drops on its own returns 0.
  virtual uint64_t events_dropped() const { return 0; }
  // Events taken and not yet handed over (a batch being built, or waiting
  // for the server to come back).
  virtual uint64_t events_held() const { return 0; }
  // SIGHUP: a file sink opens its path again (after logrotate moved it).
  virtual void reopen() {}
  // A file sink that rotates by size: files rotated away so far, and attempts
  // that failed (the file then grew on, nothing lost). 0 for other sinks.
  virtual uint64_t rotations() const { return 0; }
  virtual uint64_t rotation_errors() const { return 0; }
  // A file sink under an fsync policy: fsync/fdatasync calls that failed
  // (what they covered may not be on the disk). 0 for other sinks.
  virtual uint64_t sync_errors() const { return 0; }
};

}  // namespace procflow
