// While `top` owns the terminal, a log line written to stderr would tear the
// picture. ScreenLog takes the default logger's lines for that time: the
// latest warning is shown on the status line, and when the screen is gone
// every line kept is written to stderr, in order, where it would have gone.
#pragma once

#include <spdlog/sinks/sink.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace procflow {

class ScreenLog {
 public:
  ScreenLog() = default;
  // Gives the lines back to the logger's own sinks, then writes what was kept.
  ~ScreenLog();
  ScreenLog(const ScreenLog&) = delete;
  ScreenLog& operator=(const ScreenLog&) = delete;

  // From now on the default logger's lines are kept here.
  void capture();
  // Back to the logger's own sinks; the kept lines are written to stderr.
  void release();
  // The latest warning or error while capturing ("" if none).
  std::string last_warning() const;

 private:
  class KeepSink;
  std::shared_ptr<KeepSink> keep_;
  std::vector<spdlog::sink_ptr> saved_;
};

}  // namespace procflow
