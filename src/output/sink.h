// Where serialized events go: stdout, a file, syslog, ClickHouse. Each sink
// sits behind its own SinkQueue and is written by that queue's thread only,
// so a sink may block (a slow reader, a server that is down) without ever
// stalling the collection of events.
#pragma once

#include <cstdint>
#include <string_view>

namespace procflow {

class Sink {
 public:
  virtual ~Sink() = default;

  // Takes one or more complete events (lines); never splits one.
  virtual void write(std::string_view lines) = 0;
  // Hands over everything taken so far.
  virtual void flush() = 0;
  // Broken for good: what it is given from now on is dropped.
  virtual bool broken() const = 0;
  virtual int last_error() const = 0;  // errno that broke it, 0 if none
  virtual uint64_t bytes_written() const = 0;
  // SIGHUP: a file sink opens its path again (after logrotate moved it).
  virtual void reopen() {}
};

}  // namespace procflow
