// Tests procflow's self-metrics: the exposition text (checked by Prometheus's
// own promtool, not only by string compares), the output counters that
// survive a reload, and the HTTP endpoint (/metrics, /healthz, /readyz) over a
// real loopback connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "metrics/metrics_server.h"
#include "metrics/prometheus_text.h"
#include "metrics/service_metrics.h"
#include "required_tool.h"
#include "run_binary.h"

namespace procflow {
namespace {

bool contains_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(PrometheusTextTest, FamiliesLabelsAndEscaping) {
  PrometheusText p;
  p.family("procflow_things_total", PrometheusText::Type::counter, "Things.\nAnd a \\ slash.");
  p.sample({{"name", "a \"quoted\" \\ name\nwith a newline"}}, uint64_t{42});
  p.sample(uint64_t{7});
  p.family("procflow_ratio", PrometheusText::Type::gauge, "A ratio.");
  p.sample(0.25);
  p.sample({{"k", "v"}}, 1e-9);
  EXPECT_EQ(p.text(),
            "# HELP procflow_things_total Things.\\nAnd a \\\\ slash.\n"
            "# TYPE procflow_things_total counter\n"
            "procflow_things_total{name=\"a \\\"quoted\\\" \\\\ name\\nwith a newline\"} 42\n"
            "procflow_things_total 7\n"
            "# HELP procflow_ratio A ratio.\n"
            "# TYPE procflow_ratio gauge\n"
            "procflow_ratio 0.25\n"
            "procflow_ratio{k=\"v\"} 1e-09\n");
}

OutputRouteStats route(const std::string& uri, uint64_t starts, uint64_t ends, uint64_t full,
                       uint64_t dropped) {
  OutputRouteStats r;
  r.uri = uri;
  r.events_by_action = {starts, 0, ends};
  r.queue.events_dropped = dropped;
  r.queue.events_dropped_queue_full = full;
  r.queue.bytes_written = 1000;
  r.queue.rotations = 4;
  r.queue.rotation_errors = 1;
  return r;
}

TEST(OutputMetricsBookTest, CountersCarryOverAReloadAndLabelsHoldNoSecrets) {
  EXPECT_EQ(sink_label("clickhouse+http://db:8123/?table=flows&password=hunter2"),
            "clickhouse+http://db:8123/");
  OutputMetricsBook book;
  book.retire({route("file:/var/log/a.json", 10, 9, 1, 3), route("-", 5, 5, 0, 0)});
  const auto now = book.current(
      {route("file:/var/log/a.json", 2, 1, 0, 0), route("file:/var/log/a.json", 1, 1, 0, 0)});
  ASSERT_EQ(now.size(), 3u);
  EXPECT_EQ(now[0].sink, "file:/var/log/a.json");
  EXPECT_EQ(now[0].events_by_action[0], 12u) << "the retired output's starts carry over";
  EXPECT_EQ(now[0].events_by_action[2], 10u);
  EXPECT_EQ(now[0].dropped_queue_full, 1u);
  EXPECT_EQ(now[0].dropped_sink_error, 2u) << "dropped minus queue-full: the sink's failures";
  EXPECT_EQ(now[0].bytes_written, 2000u);
  EXPECT_EQ(now[1].sink, "file:/var/log/a.json #2") << "a second output to one place";
  EXPECT_EQ(now[1].events_by_action[0], 1u);
  EXPECT_EQ(now[2].sink, "-") << "a retired output keeps its final counts";
  EXPECT_EQ(now[2].events_by_action[0], 5u);
}

// An output a reload retired counts what it could not deliver as `retired`,
// and while it still drains its counters already show, so none goes back.
TEST(OutputMetricsBookTest, RetiredAndShutdownLossesHaveReasonsOfTheirOwn) {
  OutputMetricsBook book;
  OutputRouteStats draining = route("clickhouse+http://db:8123/?table=flows", 6, 6, 0, 0);
  OutputRouteStats live = route("clickhouse+http://db:8123/?table=flows&max_rows=10", 1, 1, 0, 0);
  live.dropped_shutdown = 2;
  const auto during = book.current({live}, {draining});
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0].events_by_action[0], 7u) << "the draining output's starts already count";
  EXPECT_EQ(during[0].dropped_retired, 0u);
  EXPECT_EQ(during[0].dropped_shutdown, 2u);

  draining.dropped_retired = 5;  // its drain ran out with five rows held
  book.retire({draining});
  const auto after = book.current({live});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].events_by_action[0], 7u);
  EXPECT_EQ(after[0].dropped_retired, 5u);
  EXPECT_EQ(after[0].dropped_sink_error, 0u) << "not a sink error";
  EXPECT_EQ(after[0].dropped_queue_full, 0u);

  ServiceMetrics m;
  m.outputs = after;
  const std::string text = render_metrics(m);
  EXPECT_TRUE(contains_line(
      text,
      "procflow_events_dropped_total{sink=\"clickhouse+http://db:8123/\",reason=\"retired\"} 5"));
  EXPECT_TRUE(contains_line(
      text,
      "procflow_events_dropped_total{sink=\"clickhouse+http://db:8123/\",reason=\"shutdown\"} 2"));
}

ServiceMetrics sample_metrics() {
  ServiceMetrics m;
  m.ready = true;
  m.start_time_s = 1764553600.5;
  m.reloads = 2;
  TracerMetrics& t = m.tracer;
  t.records = 1234;
  t.tcp_flows_started = 10;
  t.tcp_flows_ended = 7;
  t.udp_flows_started = 4;
  t.tables.tcp_flows = 3;
  t.tables.processes = 99;
  t.processes = {80, 20};
  t.cgroups = {30, 6};
  t.tables.pods = 2;
  t.dns_names = {5, 6};
  t.losses.kernel[PF_DROP_RINGBUF_RESERVE] = 17;
  t.losses.kernel[PF_DROP_FLOW_MAP_FULL] = 2;
  t.losses.records[PF_REC_TCP_END] = 5;
  t.losses.records[PF_REC_DNS] = 12;
  t.ring_size_bytes = 8 << 20;
  t.ring_used_bytes = 4096;
  t.payload_records = 40;
  t.payload_unmatched = 2;
  t.messages = 21;
  t.bpf_stats_enabled = true;
  t.programs = {{"pf_tc_ingress", 1000, 2'500'000, 0}, {"pf_tc_egress", 900, 1'000'000'000, 1}};
  OutputRouteStats out = route("file:/var/log/procflow/flows.json?fsync=batch", 10, 7, 3, 4);
  m.outputs = OutputMetricsBook().current({out});
  return m;
}

TEST(ServiceMetricsTest, TheExpositionSaysWhatWasMeasured) {
  const std::string text = render_metrics(sample_metrics());
  EXPECT_TRUE(contains_line(text, "procflow_build_info{version=\"" PROCFLOW_VERSION "\"} 1"));
  EXPECT_TRUE(contains_line(text, "procflow_ready 1"));
  EXPECT_TRUE(contains_line(text, "procflow_start_time_seconds 1764553600.5"));
  EXPECT_TRUE(contains_line(text, "procflow_config_reloads_total{result=\"applied\"} 2"));
  EXPECT_TRUE(contains_line(text, "procflow_ring_records_total 1234"));
  EXPECT_TRUE(contains_line(text, "procflow_flows_started_total{protocol=\"tcp\"} 10"));
  EXPECT_TRUE(contains_line(text, "procflow_flows_started_total{protocol=\"udp\"} 4"));
  EXPECT_TRUE(contains_line(text, "procflow_open_flows{protocol=\"tcp\"} 3"));
  EXPECT_TRUE(contains_line(text, "procflow_payload_chunks_total{result=\"copied\"} 40"));
  EXPECT_TRUE(contains_line(text, "procflow_payload_chunks_total{result=\"unmatched\"} 2"));
  EXPECT_TRUE(contains_line(text, "procflow_messages_total 21"));
  EXPECT_TRUE(contains_line(
      text,
      "procflow_events_total{sink=\"file:/var/log/procflow/flows.json\",action=\"start\"} 10"));
  EXPECT_TRUE(contains_line(
      text, "procflow_events_total{sink=\"file:/var/log/procflow/flows.json\",action=\"end\"} 7"));
  EXPECT_TRUE(contains_line(text,
                            "procflow_events_dropped_total{sink=\"file:/var/log/procflow/"
                            "flows.json\",reason=\"queue_full\"} 3"));
  EXPECT_TRUE(contains_line(text,
                            "procflow_events_dropped_total{sink=\"file:/var/log/procflow/"
                            "flows.json\",reason=\"sink_error\"} 1"));
  EXPECT_TRUE(contains_line(text,
                            "procflow_events_dropped_total{sink=\"file:/var/log/procflow/"
                            "flows.json\",reason=\"retired\"} 0"));
  EXPECT_TRUE(contains_line(text, "procflow_kernel_drops_total{reason=\"ring_buffer_full\"} 17"));
  EXPECT_TRUE(contains_line(text, "procflow_ring_records_lost_total{kind=\"tcp_end\"} 5"));
  EXPECT_TRUE(contains_line(text, "procflow_ring_records_lost_total{kind=\"dns\"} 12"));
  EXPECT_TRUE(
      contains_line(text, "procflow_cache_lookups_total{cache=\"processes\",result=\"hit\"} 80"));
  EXPECT_TRUE(contains_line(text, "procflow_table_entries{table=\"processes\"} 99"));
  EXPECT_TRUE(
      contains_line(text, "procflow_cache_lookups_total{cache=\"cgroups\",result=\"miss\"} 6"));
  EXPECT_TRUE(contains_line(text, "procflow_table_entries{table=\"pods\"} 2"));
  EXPECT_TRUE(contains_line(text, "procflow_ring_buffer_size_bytes 8388608"));
  EXPECT_TRUE(contains_line(text, "procflow_ring_buffer_used_bytes 4096"));
  EXPECT_TRUE(contains_line(
      text, "procflow_bpf_program_run_seconds_total{program=\"pf_tc_ingress\"} 0.0025"));
  EXPECT_TRUE(
      contains_line(text, "procflow_bpf_program_run_seconds_total{program=\"pf_tc_egress\"} 1"));
  EXPECT_TRUE(contains_line(text, "procflow_bpf_program_runs_total{program=\"pf_tc_egress\"} 900"));
  EXPECT_TRUE(contains_line(text,
                            "procflow_sink_file_rotations_total{sink=\"file:/var/log/procflow/"
                            "flows.json\"} 4"));
  EXPECT_TRUE(contains_line(text,
                            "procflow_sink_file_rotation_errors_total{sink=\"file:/var/log/"
                            "procflow/flows.json\"} 1"));
  EXPECT_EQ(text.find("fsync=batch"), std::string::npos) << "options stay out of labels";
}

TEST(ServiceMetricsTest, WithoutBpfStatsNoRunTimesAreClaimed) {
  ServiceMetrics m = sample_metrics();
  m.tracer.bpf_stats_enabled = false;
  const std::string text = render_metrics(m);
  EXPECT_TRUE(contains_line(text, "procflow_bpf_stats_enabled 0"));
  EXPECT_EQ(text.find("procflow_bpf_program_run"), std::string::npos);
}

// promtool (Debian's prometheus package) is the reference parser and linter.
TEST(ServiceMetricsTest, PromtoolAcceptsTheExposition) {
  const bool have = std::filesystem::exists("/usr/bin/promtool");
  PROCFLOW_REQUIRE_OR_SKIP(have, "promtool is not installed (Debian package prometheus)");
  const std::string path = testing::TempDir() + "procflow_metrics.txt";
  std::ofstream(path) << render_metrics(sample_metrics());
  // promtool reads the exposition from stdin: a shell gives it the file.
  const BinaryRun r =
      run_binary({"/bin/sh", "-c", "exec /usr/bin/promtool check metrics < " + path},
                 std::chrono::seconds(30));
  EXPECT_TRUE(r.exited && r.exit_status == 0) << r.describe();
  EXPECT_EQ(r.out + r.err, "") << "promtool's lint found problems";
}

// A port nothing listens on now (the kernel picks it).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(MetricsServerTest, ServesWhatWasPublishedAndSaysWhenReady) {
  const int port = free_port();
  std::string error;
  auto server =
      MetricsServer::start("127.0.0.1:" + std::to_string(port), "procflow_ready 0\n", &error);
  ASSERT_TRUE(server) << error;
  httplib::Client client("127.0.0.1", port);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "procflow_ready 0\n");
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503) << "not ready before the programs are attached";
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << "starting up is healthy";

  server->publish("procflow_ready 1\n");
  server->set_ready(true);
  server->heartbeat();
  metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body, "procflow_ready 1\n");
  ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(MetricsServerTest, ATakenPortOrABadAddressIsAClearError) {
  const int port = free_port();
  std::string error;
  auto first = MetricsServer::start("127.0.0.1:" + std::to_string(port), "", &error);
  ASSERT_TRUE(first) << error;
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string(port), "", &error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("cannot listen there"), std::string::npos) << error;
  EXPECT_FALSE(MetricsServer::start("127.0.0.1", "", &error));
  EXPECT_NE(error.find("metrics address '127.0.0.1'"), std::string::npos) << error;
  EXPECT_FALSE(MetricsServer::start("127.0.0.1:9469/metrics", "", &error));
  EXPECT_NE(error.find("expected HOST:PORT only"), std::string::npos) << error;
}

}  // namespace
}  // namespace procflow
