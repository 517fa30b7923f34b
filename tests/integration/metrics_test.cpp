// procflow's metrics endpoint, watched by a real Prometheus (Debian's
// package) as an operator would: /readyz and /healthz answer once tracing
// runs; Prometheus scrapes /metrics every second, and its HTTP API shows
// procflow_events_total rising to exactly the events procflow printed for a
// known exchange, first and after a second one. With kernel.bpf_stats_enabled
// on, the TC programs' run counts and times are there too.
#include <httplib.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "prometheus_server.h"
#include "sink_exchange.h"

namespace procflow_it {
namespace {

constexpr int kMetricsPort = 19469;
constexpr int kPrometheusPort = 19490;
constexpr int kFirstPort = 18191;
constexpr int kSecondPort = 18192;

// kernel.bpf_stats_enabled on for the test, restored after: while it is on
// every BPF program on the host pays a clock read per run.
class BpfStatsOn {
 public:
  BpfStatsOn() {
    std::ifstream(kPath) >> previous_;
    std::ofstream(kPath) << "1";
  }
  ~BpfStatsOn() { std::ofstream(kPath) << previous_; }
  BpfStatsOn(const BpfStatsOn&) = delete;
  BpfStatsOn& operator=(const BpfStatsOn&) = delete;

 private:
  static constexpr const char* kPath = "/proc/sys/kernel/bpf_stats_enabled";
  std::string previous_ = "0";
};

// The value of one sample line of an exposition ("name{labels} value").
std::optional<double> sample_of(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

class MetricsTest : public SinkExchangeTest {
 protected:
  // Waits until Prometheus says `promql` is `want`; the last answer otherwise.
  static std::string wait_for_value(const PrometheusServer& prometheus, const std::string& promql,
                                    double want, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    for (;;) {
      std::string error;
      const auto value = prometheus.value(promql, &error);
      if (value && *value == want) return "ok";
      last = value ? std::to_string(*value) : error;
      if (std::chrono::steady_clock::now() >= deadline) return last;
      std::this_thread::sleep_for(250ms);
    }
  }
};

TEST_F(MetricsTest, PrometheusSeesEventsRiseToExactlyWhatWasPrinted) {
  BpfStatsOn bpf_stats;
  const std::string address = "127.0.0.1:" + std::to_string(kMetricsPort);
  // Only this test's flows reach the output, so its counters are exact.
  ASSERT_NO_FATAL_FAILURE(
      start_procflow({"--metrics-address", address, "--port", std::to_string(kFirstPort), "--port",
                      std::to_string(kSecondPort)}));
  httplib::Client procflow_http("127.0.0.1", kMetricsPort);
  auto ready = procflow_http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  auto health = procflow_http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;

  PrometheusServer prometheus(kPrometheusPort, address);
  ASSERT_TRUE(prometheus.start()) << prometheus.describe();
  EXPECT_EQ(wait_for_value(prometheus, "up{job=\"procflow\"}", 1), "ok");
  EXPECT_EQ(wait_for_value(prometheus, "procflow_ready", 1), "ok");
  const std::string events = "sum(procflow_events_total{sink=\"-\",action=~\"start|message|end\"})";

  TracedExchange first;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kFirstPort, 3, &first));
  ASSERT_EQ(first.flow_events, 24u) << "3 connections, 2 sides: start, 2 messages, end each";
  EXPECT_EQ(wait_for_value(prometheus, events, 24), "ok");

  TracedExchange second;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kSecondPort, 2, &second));
  ASSERT_EQ(second.flow_events, 16u);
  EXPECT_EQ(wait_for_value(prometheus, events, 40), "ok") << "the counter rose with the flows";
  EXPECT_EQ(wait_for_value(prometheus, "procflow_messages_total", 20), "ok");
  EXPECT_EQ(wait_for_value(prometheus, "procflow_events_total{sink=\"-\",action=\"end\"}", 10),
            "ok");
  EXPECT_EQ(wait_for_value(prometheus, "sum(procflow_events_dropped_total)", 0), "ok");

  // Straight from the endpoint: the TC programs ran, and their time counts.
  auto metrics = procflow_http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample_of(metrics->body, "procflow_bpf_stats_enabled"), 1.0) << metrics->body;
  const auto ingress_runs =
      sample_of(metrics->body, "procflow_bpf_program_runs_total{program=\"pf_tc_ingress\"}");
  ASSERT_TRUE(ingress_runs) << metrics->body;
  EXPECT_GT(*ingress_runs, 0);
  const auto ingress_time =
      sample_of(metrics->body, "procflow_bpf_program_run_seconds_total{program=\"pf_tc_ingress\"}");
  ASSERT_TRUE(ingress_time) << metrics->body;
  EXPECT_GT(*ingress_time, 0);
  EXPECT_TRUE(sample_of(metrics->body, "procflow_ring_buffer_used_bytes")) << metrics->body;
  // The size the kernel reports for the map: trace's default --ring-buffer-kib 8192.
  EXPECT_EQ(sample_of(metrics->body, "procflow_ring_buffer_size_bytes"), 8192.0 * 1024)
      << metrics->body;
  stop_procflow();
}

}  // namespace
}  // namespace procflow_it
