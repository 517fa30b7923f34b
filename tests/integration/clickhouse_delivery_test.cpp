// procflow's events into a real clickhouse-server (Debian's 18.16) through
// `procflow trace --output clickhouse+http://...`, with the table of
// deploy/clickhouse/flows.sql: a query over a traced exchange returns the
// exact byte counts the helpers report; then the server is stopped mid-run,
// more flows are made, and after the restart they arrive, each event once.
#include <algorithm>
#include <thread>

#include "clickhouse_server.h"
#include "sink_exchange.h"

namespace procflow_it {
namespace {

constexpr int kHttpPort = 18623;
constexpr int kNativePort = 18624;
constexpr int kFirstPort = 18181;   // the exchange while the server is up
constexpr int kSecondPort = 18182;  // the exchange while it is down

class ClickHouseDeliveryTest : public SinkExchangeTest {
 protected:
  // Waits until `sql` returns `want`; the last answer otherwise.
  static std::string wait_for_answer(const ClickHouseServer& server, const std::string& sql,
                                     const std::string& want,
                                     std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    for (;;) {
      std::string error;
      const auto answer = server.query(sql, &error);
      last = answer ? *answer : error;
      if (last == want || std::chrono::steady_clock::now() >= deadline) return last;
      std::this_thread::sleep_for(100ms);
    }
  }

  // What `SELECT exe, sum(in_bytes), sum(out_bytes) ... GROUP BY exe ORDER BY exe` must say.
  static std::string expected_sums(const TracedExchange& e) {
    std::vector<std::string> rows = {
        helper_exe(Helper::tcp_client) + "\t" + std::to_string(e.client_received) + "\t" +
            std::to_string(e.client_sent) + "\n",
        helper_exe(Helper::prefork_server) + "\t" + std::to_string(e.server_received) + "\t" +
            std::to_string(e.server_sent) + "\n"};
    std::sort(rows.begin(), rows.end());
    return rows[0] + rows[1];
  }

  // This test's flows: its server's address and port (tests of other
  // checkouts may use the same port on the host at the same time).
  static std::string flows_of(const TracedExchange& e, int port) {
    return " FROM procflow.flows WHERE dest_port = " + std::to_string(port) + " AND dest_ip = '" +
           e.server_ip + "'";
  }

  // A flow's totals are on its end; a message carries the counts so far.
  static std::string sums_query(const TracedExchange& e, int port) {
    return "SELECT exe, sumIf(in_bytes, action = 'end'), sumIf(out_bytes, action = 'end')" +
           flows_of(e, port) + " GROUP BY exe ORDER BY exe FORMAT TabSeparated";
  }

  static std::string count_query(const TracedExchange& e, int port) {
    return "SELECT count()" + flows_of(e, port);
  }
};

TEST_F(ClickHouseDeliveryTest, ExactTotalsAndNothingLostOrTwiceAcrossARestart) {
  ClickHouseServer server(kHttpPort, kNativePort);
  ASSERT_TRUE(server.start()) << server.describe();
  std::string error;
  ASSERT_TRUE(server.run_file(PROCFLOW_SOURCE_DIR "/deploy/clickhouse/flows.sql", &error)) << error;
  ASSERT_NO_FATAL_FAILURE(
      start_procflow({"--output", "-", "--output",
                      "clickhouse+http://127.0.0.1:" + std::to_string(kHttpPort) +
                          "/?database=procflow&table=flows&max_rows=1000&max_age_ms=200"
                          "&max_backoff_ms=500"}));

  // 1. The server is up: the rows arrive (a batch by age) with the exact totals.
  TracedExchange first;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kFirstPort, 3, &first));
  const std::string first_count = std::to_string(first.flow_events) + "\n";
  EXPECT_EQ(wait_for_answer(server, count_query(first, kFirstPort), first_count), first_count);
  EXPECT_EQ(server.query(sums_query(first, kFirstPort)), expected_sums(first));
  // The message rows landed in their columns.
  EXPECT_EQ(server.query("SELECT countIf(action = 'message' AND content != '' AND "
                         "message_direction IN ('out', 'in') AND content_source = 'wire')" +
                         flows_of(first, kFirstPort) + " FORMAT TabSeparated"),
            std::optional<std::string>(std::to_string(first.messages) + "\n"));
  // Times arrived as times (the sink's rewrite): every row is from the last
  // hour, and no flow ends before it starts.
  EXPECT_EQ(server.query("SELECT countIf(timestamp < now() - 3600 OR timestamp > now() + 60), "
                         "countIf(action = 'end' AND (end_time < start_time OR "
                         "end_time = start_time AND end_time_us < start_time_us)) "
                         "FROM procflow.flows FORMAT TabSeparated"),
            std::optional<std::string>("0\t0\n"));

  // 2. The server stops; flows made meanwhile wait in procflow's sink.
  server.stop();
  TracedExchange second;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kSecondPort, 2, &second));
  std::this_thread::sleep_for(1s);  // several failed attempts, with backoff

  // 3. It returns: they arrive, within the retry backoff, each once; the
  // first exchange's rows are still there once.
  ASSERT_TRUE(server.start()) << server.describe();
  const std::string second_count = std::to_string(second.flow_events) + "\n";
  EXPECT_EQ(wait_for_answer(server, count_query(second, kSecondPort), second_count), second_count);
  EXPECT_EQ(server.query(sums_query(second, kSecondPort)), expected_sums(second));
  std::this_thread::sleep_for(1s);  // a duplicate would have had time to arrive
  EXPECT_EQ(server.query(count_query(second, kSecondPort)), second_count);
  EXPECT_EQ(server.query(count_query(first, kFirstPort)), first_count);
  stop_procflow();
  EXPECT_EQ(procflow().stderr_text().find("events not written:"), std::string::npos)
      << procflow().stderr_text();
}

}  // namespace
}  // namespace procflow_it
