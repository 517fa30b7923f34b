// Tests SinkQueue in front of a LineSink with real pipes: events come out whole and in order; a
// reader that stops reading never blocks offer() (events are dropped whole
// and counted once the buffer is full) and drain() gives up after its time;
// a reader that goes away breaks the writer (EPIPE) and later events are
// counted as dropped.
#include "output/sink_queue.h"

#include "output/line_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace procflow {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    if (read_end >= 0) close(read_end);
    if (write_end >= 0) close(write_end);
  }
  std::string read_all() {
    close(write_end);
    write_end = -1;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(read_end, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

TEST(SinkQueueTest, EventsComeOutWholeAndInOrder) {
  Pipe p;
  std::string expected;
  {
    SinkQueue w(LineSink::to_fd(p.write_end), 1 << 20);
    for (int i = 0; i < 1000; i++) {
      const std::string line = "event " + std::to_string(i) + "\n";
      EXPECT_TRUE(w.offer(line));
      expected += line;
      if (i % 100 == 0) w.flush();
    }
    // The pipe holds 64 KiB; 1000 short lines fit, so drain finishes.
    EXPECT_TRUE(w.drain(5s));
    const SinkQueueStats s = w.stats();
    EXPECT_EQ(s.events_written, 1000u);
    EXPECT_EQ(s.events_dropped, 0u);
    EXPECT_EQ(s.bytes_written, expected.size());
  }
  EXPECT_EQ(p.read_all(), expected);
}

// One loop turn can offer more than the buffer holds before it flushes: the
// writer must start on its own, or a reader that keeps up (here /dev/null)
// still costs dropped events.
TEST(SinkQueueTest, ABurstWakesTheWriterBeforeTheFlush) {
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(null_fd, 0);
  {
    SinkQueue w(LineSink::to_fd(null_fd), 64 << 10);
    const std::string event(1024, 'x');
    for (int i = 0; i < 20; i++) ASSERT_TRUE(w.offer(event));  // 20 KiB: past a quarter
    // No flush(): the writer takes the burst by itself.
    for (int waited_ms = 0; w.stats().events_written == 0 && waited_ms < 10'000; waited_ms += 10)
      std::this_thread::sleep_for(10ms);
    EXPECT_GT(w.stats().events_written, 0u);
    EXPECT_EQ(w.stats().events_dropped, 0u);
  }
  close(null_fd);
}

TEST(SinkQueueTest, AStoppedReaderCostsDroppedEventsNotAStall) {
  Pipe p;
  SinkQueue w(LineSink::to_fd(p.write_end), 128 * 1024);
  const std::string event(1000, 'x');
  size_t accepted = 0, refused = 0;
  // Far more than the pipe (64 KiB) and the buffer (128 KiB) hold together:
  // every offer returns at once, the excess is refused whole.
  for (int i = 0; i < 1000; i++) {
    (w.offer(event + "\n") ? accepted : refused)++;
    w.flush();
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(accepted, 0u);
  EXPECT_FALSE(w.drain(200ms)) << "nobody reads: it cannot all be written";
  const SinkQueueStats s = w.stats();
  EXPECT_EQ(s.events_dropped, refused);
  EXPECT_FALSE(w.broken());
  // What went out is a prefix of the events, in order (the rest of the one
  // being written waits for the reader): no event was cut or interleaved.
  fcntl(p.read_end, F_SETFL, O_NONBLOCK);
  std::string got(200 * 1024, '\0');
  const ssize_t n = read(p.read_end, got.data(), got.size());
  ASSERT_GT(n, 0);
  for (ssize_t i = 0; i < n; i++) {
    const char want = (i + 1) % static_cast<ssize_t>(event.size() + 1) == 0 ? '\n' : 'x';
    ASSERT_EQ(got[static_cast<size_t>(i)], want) << "at byte " << i;
  }
  // The reader goes away: the writer thread, if still blocked in write()
  // (the read above may have let it finish), gets EPIPE and lets go of the
  // descriptor before the pipe is closed under it.
  signal(SIGPIPE, SIG_IGN);
  close(p.read_end);
  p.read_end = -1;
  const bool all_written = w.drain(5s);
  EXPECT_TRUE(all_written || w.broken());
  EXPECT_EQ(w.stats().events_written + w.stats().events_dropped, 1000u);
}

TEST(SinkQueueTest, AReaderThatWentAwayBreaksTheWriter) {
  signal(SIGPIPE, SIG_IGN);  // as procflow does: EPIPE instead of death
  Pipe p;
  close(p.read_end);
  p.read_end = -1;
  SinkQueue w(LineSink::to_fd(p.write_end));
  EXPECT_TRUE(w.offer("first\n"));
  EXPECT_FALSE(w.drain(5s));
  EXPECT_TRUE(w.broken());
  EXPECT_EQ(w.stats().error, EPIPE);
  EXPECT_FALSE(w.offer("second\n"));
  EXPECT_EQ(w.stats().events_dropped, 2u);  // the one in flight and the refused one
  EXPECT_EQ(w.stats().events_written, 0u);
}

// Replay of a file can wait for its reader: with WhenFull::wait nothing is
// dropped, however small the queue and however slow the reader.
TEST(SinkQueueTest, AProducerThatCanWaitLosesNothing) {
  Pipe p;
  std::string expected;
  std::thread reader;
  std::string got;
  {
    SinkQueue w(LineSink::to_fd(p.write_end), 4096, SinkQueue::WhenFull::wait);
    reader = std::thread([&] {
      char buf[512];
      ssize_t n;
      while ((n = read(p.read_end, buf, sizeof buf)) > 0) {
        got.append(buf, static_cast<size_t>(n));
        std::this_thread::sleep_for(100us);  // slower than the producer
      }
    });
    for (int i = 0; i < 20000; i++) {
      const std::string line = "event " + std::to_string(i) + "\n";
      ASSERT_TRUE(w.offer(line));
      expected += line;
    }
    EXPECT_TRUE(w.drain(30s));
    EXPECT_EQ(w.stats().events_written, 20000u);
    EXPECT_EQ(w.stats().events_dropped, 0u);
  }
  close(p.write_end);
  p.write_end = -1;
  reader.join();
  EXPECT_EQ(got, expected);
}

std::string read_file(const std::string& path) {
  std::string out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// logrotate moves the file away and sends SIGHUP: events before the reopen
// stay in the moved file, later ones start the new file.
TEST(SinkQueueTest, ReopenStartsANewFileAfterItWasMovedAway) {
  char dir_template[] = "/tmp/procflow-sink-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/flows.json", rotated = dir + "/flows.json.1";
  std::string error;
  auto sink = LineSink::to_file(path, &error);
  ASSERT_TRUE(sink) << error;
  {
    SinkQueue w(std::move(sink), 1 << 20);
    ASSERT_TRUE(w.offer("before\n"));
    ASSERT_TRUE(w.drain(5s));
    ASSERT_EQ(rename(path.c_str(), rotated.c_str()), 0);
    ASSERT_TRUE(w.offer("still old\n"));  // offered before the reopen
    w.reopen();
    ASSERT_TRUE(w.drain(5s));
    ASSERT_TRUE(w.offer("after\n"));
    ASSERT_TRUE(w.drain(5s));
    EXPECT_EQ(w.stats().events_written, 3u);
  }
  EXPECT_EQ(read_file(rotated), "before\nstill old\n");
  EXPECT_EQ(read_file(path), "after\n");
  unlink(path.c_str());
  unlink(rotated.c_str());
  rmdir(dir.c_str());
}

// A batching sink: holds what it is given until the oldest held line is
// `max_age` old, then delivers it all (into `delivered`, guarded by a mutex:
// the test reads it from its own thread); flush_all() delivers at once.
class AgedBatchSink : public Sink {
 public:
  struct Shared {
    std::mutex mu;
    std::string delivered;
    int deliveries = 0;
  };
  AgedBatchSink(std::shared_ptr<Shared> out, std::chrono::milliseconds max_age)
      : out_(std::move(out)), max_age_(max_age) {}
  void write(std::string_view lines) override {
    if (held_.empty()) oldest_ = Clock::now();
    held_.append(lines);
  }
  void flush() override {
    if (!held_.empty() && Clock::now() >= oldest_ + max_age_) flush_all();
  }
  void flush_all() override {
    if (held_.empty()) return;
    std::lock_guard lock(out_->mu);
    out_->delivered += held_;
    out_->deliveries++;
    held_.clear();
  }
  std::optional<Clock::time_point> next_deadline() const override {
    if (held_.empty()) return std::nullopt;
    return oldest_ + max_age_;
  }
  uint64_t events_held() const override {
    return static_cast<uint64_t>(std::count(held_.begin(), held_.end(), '\n'));
  }
  bool broken() const override { return false; }
  int last_error() const override { return 0; }
  uint64_t bytes_written() const override { return 0; }

 private:
  std::shared_ptr<Shared> out_;
  std::chrono::milliseconds max_age_;
  std::string held_;
  Clock::time_point oldest_;
};

// The queue's thread wakes at the sink's deadline with nothing new offered:
// a batch that is old enough goes out although no event follows it.
TEST(SinkQueueTest, TheThreadWakesAtTheSinksDeadline) {
  auto out = std::make_shared<AgedBatchSink::Shared>();
  SinkQueue w(std::make_unique<AgedBatchSink>(out, 200ms), 1 << 20);
  const auto offered_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(w.offer("a\n"));
  ASSERT_TRUE(w.offer("b\n"));
  w.flush();
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(out->mu);
    EXPECT_EQ(out->delivered, "");  // younger than its age: held
  }
  // The thread reports what its sink holds once it took the batch (slow under sanitizers).
  for (int i = 0; i < 15 && w.stats().events_held != 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(w.stats().events_held, 2u);
  bool delivered = false;
  while (!delivered && std::chrono::steady_clock::now() - offered_at < 5s) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(out->mu);
    delivered = out->delivered == "a\nb\n";
  }
  EXPECT_TRUE(delivered);
  EXPECT_GE(std::chrono::steady_clock::now() - offered_at, 200ms);
  std::lock_guard lock(out->mu);
  EXPECT_EQ(out->deliveries, 1);
}

// drain() makes a batching sink hand over what it holds at once.
TEST(SinkQueueTest, DrainDeliversWhatABatchingSinkHolds) {
  auto out = std::make_shared<AgedBatchSink::Shared>();
  SinkQueue w(std::make_unique<AgedBatchSink>(out, 1h), 1 << 20);
  ASSERT_TRUE(w.offer("held\n"));
  ASSERT_TRUE(w.drain(5s));
  EXPECT_EQ(w.stats().events_held, 0u);
  std::lock_guard lock(out->mu);
  EXPECT_EQ(out->delivered, "held\n");
}

}  // namespace
}  // namespace procflow
