#include "top/screen_log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <deque>

namespace procflow {

// Keeps the last lines (a flood of warnings must not grow memory for ever).
class ScreenLog::KeepSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr size_t kLines = 500;

  std::string last_warning() {
    std::lock_guard lock(mutex_);
    return last_warning_;
  }
  std::deque<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::move(lines_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    lines_.emplace_back(formatted.data(), formatted.size());
    if (lines_.size() > kLines) lines_.pop_front();
    if (msg.level >= spdlog::level::warn)
      last_warning_.assign(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::deque<std::string> lines_;
  std::string last_warning_;
};

ScreenLog::~ScreenLog() {
  release();
}

void ScreenLog::capture() {
  if (keep_) return;
  keep_ = std::make_shared<KeepSink>();
  keep_->set_pattern("procflow: %l: %v");  // as main() writes them, without colour
  auto& sinks = spdlog::default_logger()->sinks();
  saved_ = sinks;
  sinks = {keep_};
}

void ScreenLog::release() {
  if (!keep_) return;
  spdlog::default_logger()->sinks() = saved_;
  for (const std::string& line : keep_->take()) std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  keep_.reset();
}

std::string ScreenLog::last_warning() const {
  return keep_ ? keep_->last_warning() : std::string();
}

}  // namespace procflow
