// Background reader for a child's stdout/stderr pipe; see line_collector.h.
#include "line_collector.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace procflow_it {

LineCollector::LineCollector(int fd) : fd_(fd), stop_fd_(eventfd(0, EFD_CLOEXEC)) {
  reader_ = std::thread([this] { run(); });
}

LineCollector::~LineCollector() {
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) < 0) {
    // Nothing sensible to do: the thread also stops at EOF.
  }
  if (reader_.joinable()) reader_.join();
  close(stop_fd_);
  close(fd_);
}

void LineCollector::run() {
  char buffer[8192];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) break;
    partial_.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines_.push_back(partial_.substr(start, nl - start));
    }
    partial_.erase(0, start);
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) lines_.push_back(std::move(partial_));
  partial_.clear();
  closed_ = true;
  changed_.notify_all();
}

std::vector<std::string> LineCollector::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

size_t LineCollector::size() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

std::string LineCollector::text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& line : lines_) out += line + "\n";
  if (!partial_.empty()) out += partial_ + "\n";
  return out;
}

bool LineCollector::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool LineCollector::wait_for(const std::function<bool(const std::vector<std::string>&)>& predicate,
                             std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(lines_); });
}

bool LineCollector::wait_for_text(const std::string& text, size_t times,
                                  std::chrono::milliseconds timeout) const {
  return wait_for(
      [&](const std::vector<std::string>& lines) {
        size_t n = 0;
        for (const auto& line : lines) n += line.find(text) != std::string::npos;
        return n >= times;
      },
      timeout);
}

bool LineCollector::wait_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return closed_; });
}

}  // namespace procflow_it
