// Checks the buffered sink against real pipes and files: buffering and flush points, partial
// writes (non-blocking pipe, signals interrupting a blocked write), EPIPE, and file output.
#include "output/line_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace procflow {
namespace {

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0); }
  ~Pipe() {
    close_read();
    close_write();
  }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  void close_read() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }
  void close_write() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }
  // Everything readable right now, without blocking.
  std::string read_available() {
    std::string data;
    char buf[4096];
    for (;;) {
      pollfd p{fds_[0], POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return data;
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n <= 0) return data;
      data.append(buf, static_cast<size_t>(n));
    }
  }
  // Everything until the write end is closed.
  std::string read_to_end() {
    std::string data;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return data;
      data.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fds_[2] = {-1, -1};
};

std::string numbered_lines(size_t count) {
  std::string s;
  for (size_t i = 0; i < count; ++i) s += "line " + std::to_string(i) + " of the test data\n";
  return s;
}

TEST(LineSink, BuffersUntilFlush) {
  Pipe p;
  auto sink = LineSink::to_fd(p.write_fd());
  sink->write("one\n");
  sink->write("two\n");
  EXPECT_EQ(p.read_available(), "");
  sink->flush();
  EXPECT_EQ(p.read_available(), "one\ntwo\n");
  EXPECT_EQ(sink->bytes_written(), 8u);
  sink->flush();  // nothing pending: no-op
  EXPECT_EQ(p.read_available(), "");
  EXPECT_FALSE(sink->broken());
}

TEST(LineSink, WritesWhenTheBufferIsFullKeepingLinesWhole) {
  Pipe p;
  auto sink = LineSink::to_fd(p.write_fd(), 16);
  sink->write("0123456789\n");  // 11 bytes: fits
  EXPECT_EQ(p.read_available(), "");
  sink->write("abcdefghi\n");  // 10 more do not: the first line goes out alone
  EXPECT_EQ(p.read_available(), "0123456789\n");
  sink->flush();
  EXPECT_EQ(p.read_available(), "abcdefghi\n");
}

TEST(LineSink, LargeWriteBypassesTheBuffer) {
  Pipe p;
  auto sink = LineSink::to_fd(p.write_fd(), 16);
  sink->write("hi\n");
  const std::string big(100, 'x');
  sink->write(big);  // pending "hi\n" first, then the big block directly
  EXPECT_EQ(p.read_available(), "hi\n" + big);
}

TEST(LineSink, DestructorFlushesAndLeavesBorrowedFdOpen) {
  Pipe p;
  {
    auto sink = LineSink::to_fd(p.write_fd());
    sink->write("bye\n");
  }
  EXPECT_EQ(p.read_available(), "bye\n");
  EXPECT_NE(::fcntl(p.write_fd(), F_GETFD), -1) << "to_fd() must not close the caller's fd";
}

TEST(LineSink, CompletesPartialWritesOnNonBlockingPipe) {
  Pipe p;
  ::fcntl(p.write_fd(), F_SETPIPE_SZ, 4096);
  ::fcntl(p.write_fd(), F_SETFL, ::fcntl(p.write_fd(), F_GETFL) | O_NONBLOCK);
  const std::string data = numbered_lines(20000);  // ~600 KiB through a 4 KiB pipe

  std::string received;
  std::thread reader([&] {
    char buf[1000];
    for (;;) {
      const ssize_t n = ::read(p.read_fd(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      received.append(buf, static_cast<size_t>(n));
      if (received.size() % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  {
    auto sink = LineSink::to_fd(p.write_fd(), 8192);
    for (size_t pos = 0; pos < data.size();) {
      const size_t end = data.find('\n', pos) + 1;
      sink->write(std::string_view(data).substr(pos, end - pos));
      pos = end;
    }
    sink->flush();
    EXPECT_FALSE(sink->broken()) << sink->last_error();
    EXPECT_EQ(sink->bytes_written(), data.size());
  }
  p.close_write();
  reader.join();
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data);
}

std::atomic<int> signals_seen{0};
void count_signal(int) {
  signals_seen.fetch_add(1);
}

TEST(LineSink, RetriesAfterSignalsInterruptABlockedWrite) {
  // A handler without SA_RESTART: a write(2) blocked on a full pipe returns early, with a
  // partial count or EINTR, each time the signal arrives.
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = count_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);

  Pipe p;
  ::fcntl(p.write_fd(), F_SETPIPE_SZ, 4096);
  const std::string data = numbered_lines(10000);  // ~300 KiB
  std::atomic<bool> done{false};
  std::atomic<pthread_t> writer_thread{};
  std::atomic<bool> started{false};

  std::thread writer([&] {
    writer_thread = ::pthread_self();
    started = true;
    auto sink = LineSink::to_fd(p.write_fd(), 1 << 20);
    sink->write(data);  // buffered: one flush pushes it all through the 4 KiB pipe
    sink->flush();
    EXPECT_FALSE(sink->broken()) << sink->last_error();
    EXPECT_EQ(sink->bytes_written(), data.size());
    done = true;
  });
  while (!started) std::this_thread::yield();

  // Interrupt the blocked writer repeatedly, draining a little in between.
  std::string received;
  char buf[512];
  for (int i = 0; i < 50 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ::pthread_kill(writer_thread.load(), SIGUSR1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const ssize_t n = ::read(p.read_fd(), buf, sizeof buf);
    if (n > 0) received.append(buf, static_cast<size_t>(n));
  }
  // Then drain the rest.
  while (received.size() < data.size()) {
    const ssize_t n = ::read(p.read_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  ::sigaction(SIGUSR1, &previous, nullptr);

  EXPECT_GT(signals_seen.load(), 0);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data);
}

TEST(LineSink, ReportsBrokenPipe) {
  // The caller's job in the CLI; done here so the test process survives the write.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);

  Pipe p;
  auto sink = LineSink::to_fd(p.write_fd());
  sink->write("first\n");
  sink->flush();
  EXPECT_FALSE(sink->broken());
  p.close_read();  // like `head` exiting
  sink->write("second\n");
  sink->flush();
  EXPECT_TRUE(sink->broken());
  EXPECT_EQ(sink->last_error(), EPIPE);
  sink->write("third\n");  // dropped without another write(2)
  sink->flush();
  EXPECT_EQ(sink->bytes_written(), 6u);
  EXPECT_EQ(sink->bytes_dropped(), 13u);

  ::sigaction(SIGPIPE, &previous, nullptr);
}

class LineSinkFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/procflow_line_sink_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unlink((dir_ + "/out.jsonl").c_str());
    ::rmdir(dir_.c_str());
  }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST_F(LineSinkFile, WritesAndAppends) {
  const std::string path = dir_ + "/out.jsonl";
  std::string error;
  {
    auto sink = LineSink::to_file(path, &error);
    ASSERT_NE(sink, nullptr) << error;
    sink->write("{\"a\":1}\n");
  }
  {
    auto sink = LineSink::to_file(path, &error);
    ASSERT_NE(sink, nullptr) << error;
    sink->write("{\"a\":2}\n");
    sink->flush();
    EXPECT_EQ(slurp(path), "{\"a\":1}\n{\"a\":2}\n");
  }
  EXPECT_EQ(slurp(path), "{\"a\":1}\n{\"a\":2}\n");
}

TEST_F(LineSinkFile, OpenFailureIsReported) {
  const std::string path = dir_ + "/missing/dir/out.jsonl";
  std::string error;
  EXPECT_EQ(LineSink::to_file(path, &error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_EQ(LineSink::to_file(path, nullptr), nullptr);  // error message optional
}

}  // namespace
}  // namespace procflow
