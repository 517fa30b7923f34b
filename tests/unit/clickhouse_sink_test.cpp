// Tests ClickHouseSink against an HTTP server of the test's own (cpp-httplib
// on 127.0.0.1, an ephemeral port) that answers as ClickHouse does, or fails
// on purpose: batches by count and by age, the statement and settings it
// sends, retries of a whole batch until it is acknowledged (nothing twice,
// nothing lost), the bounded buffer, and a malformed batch that is dropped.
#include "output/clickhouse_sink.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "output/sink_queue.h"

namespace procflow {
namespace {

using namespace std::chrono_literals;

constexpr char kStatement[] = "INSERT INTO `db1`.`flows` FORMAT JSONEachRow\n";

std::string flow_line(int n) {
  return R"({"object":"flow","action":"end","dest_port":)" + std::to_string(n) + "}\n";
}

// Stands in for ClickHouse's HTTP interface: records each acknowledged
// body; answers `fail_status` (0: 200) to requests while set.
class FakeClickHouse {
 public:
  FakeClickHouse() {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_++;
      settings_ok_ = req.get_param_value("input_format_skip_unknown_fields") == "1";
      if (fail_status_ != 0) {
        res.status = fail_status_;
        res.set_content("Code: 27, e.displayText() = DB::Exception: Cannot parse input",
                        "text/plain");
        return;
      }
      bodies_.push_back(req.body);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeClickHouse() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void fail_with(int status) {
    std::lock_guard lock(mu_);
    fail_status_ = status;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  bool settings_ok() {
    std::lock_guard lock(mu_);
    return settings_ok_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  int fail_status_ = 0;
  int requests_ = 0;
  bool settings_ok_ = false;
  std::vector<std::string> bodies_;
};

ClickHouseTarget target_for(const FakeClickHouse& server) {
  ClickHouseTarget t;
  t.host = "127.0.0.1";
  t.port = static_cast<uint16_t>(server.port());
  t.database = "db1";
  t.table = "flows";
  t.max_backoff = 200ms;
  return t;
}

TEST(ClickHouseSinkTest, ABatchGoesOutWhenFullWithTheStatementAhead) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.max_rows = 3;
  t.max_age = 1h;
  ClickHouseSink sink(t);
  sink.write(flow_line(1) + flow_line(2));
  sink.flush();
  EXPECT_EQ(server.requests(), 0);  // two rows: not full, not old
  EXPECT_EQ(sink.events_held(), 2u);
  sink.write(flow_line(3) + R"({"object":"lost"})"
                            "\n");
  sink.flush();
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(server.bodies()[0], kStatement + flow_line(1) + flow_line(2) + flow_line(3));
  EXPECT_TRUE(server.settings_ok());
  EXPECT_EQ(sink.events_held(), 0u);
  EXPECT_EQ(sink.rows_inserted(), 3u);
  EXPECT_EQ(sink.events_skipped(), 1u);
  EXPECT_FALSE(sink.next_deadline());
}

TEST(ClickHouseSinkTest, TheQueueSendsABatchWhenItIsOldEnough) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.max_age = 150ms;
  SinkQueue queue(std::make_unique<ClickHouseSink>(t), 1 << 20);
  ASSERT_TRUE(queue.offer(flow_line(7)));
  queue.flush();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.requests(), 0);
  for (int i = 0; i < 200 && server.bodies().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(server.bodies()[0], kStatement + flow_line(7));
  // The server has the batch a moment before the sink's thread hears back.
  for (int i = 0; i < 200 && queue.stats().events_held != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(queue.stats().events_held, 0u);
}

TEST(ClickHouseSinkTest, AFailedBatchIsRetriedWholeAndSentOnce) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.max_rows = 1;
  SinkQueue queue(std::make_unique<ClickHouseSink>(t), 1 << 20);
  server.fail_with(503);
  ASSERT_TRUE(queue.offer(flow_line(1)));
  queue.flush();
  for (int i = 0; i < 200 && server.requests() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(server.requests(), 2);         // the first attempt and at least one retry
  ASSERT_TRUE(queue.offer(flow_line(2)));  // joins the batch waiting for its retry
  queue.flush();
  for (int i = 0; i < 200 && queue.stats().events_held < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(queue.stats().events_held, 2u);  // both wait in the sink, none dropped
  server.fail_with(0);
  ASSERT_TRUE(queue.drain(5s));
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(server.bodies()[0], kStatement + flow_line(1) + flow_line(2));
  EXPECT_EQ(queue.stats().events_dropped_by_sink, 0u);
}

TEST(ClickHouseSinkTest, NoServerFillsTheBoundedBufferThenDropsCounted) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.port = 1;  // nothing listens: connection refused
  t.max_rows = 1;
  const size_t row = flow_line(1).size();
  t.max_buffer_bytes = 10 * row;
  ClickHouseSink sink(t);
  for (int i = 0; i < 15; ++i) {
    sink.write(flow_line(1));
    sink.flush();
  }
  EXPECT_EQ(sink.events_held(), 10u);
  EXPECT_EQ(sink.events_dropped(), 5u);
  EXPECT_GE(sink.failed_requests(), 1u);
  EXPECT_FALSE(sink.last_failure().empty());
  ASSERT_TRUE(sink.next_deadline());  // the retry
}

// The sink's own drops are the output's losses: SinkQueueStats counts them
// in events_dropped (the loss report) and apart.
TEST(ClickHouseSinkTest, TheSinksDropsAreCountedByItsQueue) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.port = 1;  // nothing listens: connection refused
  t.max_buffer_bytes = 4 * flow_line(1).size();
  SinkQueue queue(std::make_unique<ClickHouseSink>(t), 1 << 20);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(queue.offer(flow_line(1)));
  queue.flush();
  for (int i = 0; i < 200 && queue.stats().events_dropped < 2; ++i)
    std::this_thread::sleep_for(10ms);
  const SinkQueueStats s = queue.stats();
  EXPECT_EQ(s.events_dropped, 2u);
  EXPECT_EQ(s.events_dropped_by_sink, 2u);
  EXPECT_EQ(s.events_held, 4u);
}

TEST(ClickHouseSinkTest, AMalformedBatchIsDroppedNotRetried) {
  FakeClickHouse server;
  ClickHouseTarget t = target_for(server);
  t.max_rows = 1;
  ClickHouseSink sink(t);
  server.fail_with(400);
  sink.write(flow_line(1));
  sink.flush();
  EXPECT_EQ(sink.events_dropped(), 1u);
  EXPECT_EQ(sink.events_held(), 0u);
  EXPECT_NE(sink.last_failure().find("HTTP 400"), std::string::npos) << sink.last_failure();
  server.fail_with(0);
  sink.write(flow_line(2));
  sink.flush();
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(server.bodies()[0], kStatement + flow_line(2));
}

}  // namespace
}  // namespace procflow
