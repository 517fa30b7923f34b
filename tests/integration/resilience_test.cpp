// The tracer under pressure and at its end: every signal that would end it
// stops it the clean way (tracer_stop ends, status 0); a reader of stdout
// that goes away stops it with nothing to write; a reader that stops reading
// costs dropped events (counted), never a stalled tracer; and when the kernel
// produces faster than procflow drains (a tiny ring, the tracer frozen), the
// loss is counted by record kind, put into the stream as a `lost` event, and
// tracing is exact again once the load is gone.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

namespace fs = std::filesystem;

constexpr int kHeldBytes = 700;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Resident memory of a process in KiB, from /proc (0 if unreadable).
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

class ResilienceTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    std::string templ = (fs::temp_directory_path() / "procflow-res-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    IntegrationTest::TearDown();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // procflow with stdout and stderr where the test says (a shell redirects,
  // then execs: the spawned pid is procflow's). Waits for "tracing started".
  SpawnedProcess& start_redirected(const std::string& stdout_to, std::vector<std::string> extra) {
    std::string cmd =
        "exec '" + procflow_binary() + "' trace --format json --interfaces " + topo().host_if();
    for (const auto& a : extra) cmd += " " + a;
    cmd += " > '" + stdout_to + "' 2> '" + (dir_ / "stderr").string() + "'";
    others_.push_back(std::make_unique<SpawnedProcess>(std::vector<std::string>{"sh", "-c", cmd}));
    SpawnedProcess& p = *others_.back();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (slurp(dir_ / "stderr").find("tracing started") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || p.wait(0ms)) {
        ADD_FAILURE() << "procflow did not start:\n" << slurp(dir_ / "stderr");
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    return p;
  }
  std::string stderr_text() { return slurp(dir_ / "stderr"); }

  // A connection held open from the namespace to a server in the root namespace.
  void hold_a_connection(ClientTruth* truth) {
    PreforkServer* server = start_server(topo().host_ip4(), kServerPort, 1, 10);
    ASSERT_NE(server, nullptr);
    SpawnedProcess& client = spawn_in_ns({helper_path(Helper::tcp_client), topo().host_ip4(),
                                          std::to_string(kServerPort), std::to_string(kHeldBytes),
                                          "--hold-ms", "60000"});
    auto t = wait_client_truth(client);
    ASSERT_TRUE(t && t->error.empty()) << client.describe();
    *truth = *t;
  }

  // `connections` short connections from the namespace, each closed with an
  // RST (no TIME_WAIT, so ports come back at once), as fast as they go.
  SpawnedProcess& storm(int connections, int first_port) {
    return spawn_in_ns({helper_path(Helper::port_reuse_client), topo().host_ip4(),
                        std::to_string(kOtherPort), std::to_string(first_port),
                        std::to_string(connections), "--ports", "200", "--rounds", "1",
                        "--abort-every", "1"});
  }

  fs::path dir_;
  std::vector<std::unique_ptr<SpawnedProcess>> others_;
};

class StopSignalTest : public ResilienceTest, public ::testing::WithParamInterface<int> {};

// SIGHUP (a closed terminal, an ssh hang-up) and SIGQUIT stop procflow like
// SIGTERM: status 0, open flows ended as tracer_stop with their counts.
TEST_P(StopSignalTest, StopsCleanlyWithTracerStopEnds) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ClientTruth truth;
  ASSERT_NO_FATAL_FAILURE(hold_a_connection(&truth));
  FlowSelector held =
      client_side(topo().ns_ip4(), truth.local_port, topo().host_ip4(), kServerPort);
  ASSERT_TRUE(
      wait_for_events([&](const auto& events) { return count_events(events, held, "start") > 0; },
                      "the held connection's start"));
  ASSERT_EQ(::kill(procflow().pid(), GetParam()), 0);
  auto status = procflow().wait_exit(10s);
  ASSERT_TRUE(status) << "still running after " << strsignal(GetParam()) << "\n"
                      << procflow().describe();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << procflow().describe();
  Flow flow = collect_flow(procflow().events(), held);
  ASSERT_TRUE(flow.end()) << procflow().describe();
  EXPECT_EQ(flow.end()->str("end_reason"), std::optional<std::string>("tracer_stop"));
  EXPECT_EQ(flow.end()->integer("out_bytes"), kHeldBytes) << flow.end()->raw();
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignalTest, ::testing::Values(SIGHUP, SIGQUIT, SIGTERM),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

// `procflow trace | head -0`: the reader is gone before anything was
// written, and nothing matches the filter, so nothing ever will be: procflow
// must notice the closed pipe by itself and stop, status 0.
TEST_F(ResilienceTest, AReaderThatWentAwayStopsTheTracerWithNothingToWrite) {
  SpawnedProcess& pipeline =
      *others_.emplace_back(std::make_unique<SpawnedProcess>(std::vector<std::string>{
          "bash", "-o", "pipefail", "-c",
          "'" + procflow_binary() + "' trace --interfaces " + topo().host_if() + " --port 1 2> '" +
              (dir_ / "stderr").string() + "' | head -c 0"}));
  auto status = pipeline.wait(20s);
  ASSERT_TRUE(status) << "procflow never noticed its reader was gone:\n" << stderr_text();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << stderr_text();
  EXPECT_NE(stderr_text().find("the reader of the output went away"), std::string::npos)
      << stderr_text();
}

// stdout is a FIFO nobody reads. Events pile up beyond the pipe and the
// output buffer: they are dropped and counted, the tracer keeps draining the
// kernel (no record is lost), and SIGTERM still stops it promptly.
TEST_F(ResilienceTest, AStoppedReaderCostsEventsNeverTheTracer) {
  const std::string fifo = (dir_ / "out").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // never read
  ASSERT_GE(reader, 0);
  SpawnedProcess& tracer = start_redirected(fifo, {"--output-buffer-kib", "64"});
  PreforkServer* server = start_server(topo().host_ip4(), kOtherPort, 2, 0, ServerMode::echo);
  ASSERT_NE(server, nullptr);
  SpawnedProcess& load = storm(400, 30000);
  ASSERT_TRUE(load.wait(60s)) << load.describe();

  const auto sent = std::chrono::steady_clock::now();
  tracer.signal(SIGTERM);
  auto status = tracer.wait(10s);
  const auto took = std::chrono::steady_clock::now() - sent;
  ::close(reader);
  ASSERT_TRUE(status) << "a reader that never reads kept procflow from stopping:\n"
                      << stderr_text();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << stderr_text();
  // The brief: within a second whatever the reader does. Generous here (a
  // loaded 2-core machine), but far below anything that waits for the reader.
  EXPECT_LT(took, 5s) << stderr_text();
  const std::string err = stderr_text();
  EXPECT_NE(err.find("events not written: the reader of stdout did not keep up"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("records: the ring buffer was full"), std::string::npos)
      << "a slow reader must not cost kernel records:\n"
      << err;
}

// A 64 KiB ring and the tracer frozen (SIGSTOP) while 600 connections come
// and go: the kernel loses records. They are counted by kind, reported in the
// stream as a `lost` event and at exit, memory stays bounded, and once the
// load is gone the next connection is reported exactly.
TEST_F(ResilienceTest, OverloadIsCountedAndTracingRecovers) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--ring-buffer-kib", "64"}));
  PreforkServer* server = start_server(topo().host_ip4(), kOtherPort, 2, 0, ServerMode::echo);
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(::kill(procflow().pid(), SIGSTOP), 0);
  SpawnedProcess& load = storm(600, 31000);
  const bool load_done = load.wait(60s).has_value();
  ASSERT_EQ(::kill(procflow().pid(), SIGCONT), 0);
  ASSERT_TRUE(load_done) << load.describe();
  ASSERT_TRUE(wait_for_events(
      [](const auto& events) {
        for (const auto& e : events)
          if (e.str("object") == std::optional<std::string>("lost")) return true;
        return false;
      },
      "a lost event in the stream"));
  EXPECT_LT(rss_kib(procflow().pid()), 200 * 1024) << "memory must stay bounded";

  // The load is gone: an ordinary connection is traced exactly again.
  ClientTruth truth;
  ASSERT_NO_FATAL_FAILURE(hold_a_connection(&truth));
  FlowSelector after =
      client_side(topo().ns_ip4(), truth.local_port, topo().host_ip4(), kServerPort);
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  auto events = procflow().events();
  Flow flow = collect_flow(events, after);
  ASSERT_TRUE(flow.start() && flow.end()) << dump(events);
  expect_process(*flow.start(), expected_process(Helper::tcp_client, truth.pid, getpid()),
                 Presence::required);
  EXPECT_EQ(flow.end()->integer("out_bytes"), kHeldBytes) << flow.end()->raw();

  uint64_t lost_records = 0;
  for (const auto& e : events) {
    if (e.str("object") != std::optional<std::string>("lost")) continue;
    EXPECT_TRUE(e.str("timestamp") && e.str("since")) << e.raw();
    for (const char* kind : {"tcp_start", "tcp_end", "tcp_owner", "tcp_established", "exec"})
      lost_records += static_cast<uint64_t>(e.object_integer("records", kind).value_or(0));
  }
  EXPECT_GT(lost_records, 0u) << dump(events);
  EXPECT_NE(procflow().stderr_text().find("records: the ring buffer was full"), std::string::npos)
      << procflow().stderr_text();
}

}  // namespace
}  // namespace procflow_it
