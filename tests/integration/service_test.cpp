// `procflow run --config FILE`, the service: events go to the outputs of the
// config, filtered by its filter; SIGHUP reloads it without detaching
// anything — a broken config is refused and the running one stays, a good
// one switches outputs and filters at once, and no event is lost or written
// twice across the switch; SIGTERM stops with exit status 0.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "clickhouse_server.h"
#include "flow_assertions.h"
#include "integration_test.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

class ServiceTest : public IntegrationTest {
 protected:
  void write_config(const std::string& text) { std::ofstream(config_path()) << text; }
  std::string config_path() const { return (scratch_.path() / "procflow.yaml").string(); }
  std::string file(const std::string& name) const { return (scratch_.path() / name).string(); }

  // One config: every event of flows on `port` to `output`.
  std::string config_for(const std::string& output, int port) {
    return "outputs:\n  - uri: file:" + output + "\nfilter:\n  include: {port: [" +
           std::to_string(port) + "]}\ninterfaces: [" + topo().host_if() + "]\n";
  }

  // Starts `procflow run` and waits for it to trace.
  SpawnedProcess& start_service() {
    service_ = std::make_unique<SpawnedProcess>(
        std::vector<std::string>{procflow_binary(), "run", "--config", config_path()});
    EXPECT_TRUE(wait_for_log("tracing started")) << service_->describe();
    return *service_;
  }
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = 20s) {
    return service_->err().wait_for(
        [&](const std::vector<std::string>& lines) {
          for (const auto& l : lines)
            if (l.find(text) != std::string::npos) return true;
          return false;
        },
        timeout);
  }

  // The JSON lines of an output file. procflow may be writing while it is
  // read: a last line without its newline is not complete yet, and is left out.
  std::vector<JsonLine> events_in(const std::string& path) {
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> lines;
    for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
         start = end + 1)
      lines.push_back(text.substr(start, end - start));
    std::vector<std::string> malformed;
    auto events = parse_lines(lines, &malformed);
    EXPECT_TRUE(malformed.empty()) << path << ": " << testing::PrintToString(malformed);
    return events;
  }
  // Events in `path` of the connection whose client used `client_port`.
  size_t count_of(const std::string& path, int64_t client_port, const std::string& action) {
    size_t n = 0;
    for (const auto& e : events_in(path))
      if ((e.integer("src_port") == client_port || e.integer("dest_port") == client_port) &&
          e.str("action") == action)
        n++;
    return n;
  }
  // Waits until both sides' end of the connection are in `path`.
  bool wait_for_both_ends(const std::string& path, int64_t client_port) {
    for (int i = 0; i < 200; i++) {
      if (count_of(path, client_port, "end") >= 2) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // One connection from the namespace to the server on `port`; the client's port.
  int64_t connect_to(int port) {
    SpawnedProcess& client = run_in_ns(
        {helper_path(Helper::tcp_client), topo().host_ip4(), std::to_string(port), "100"});
    auto truth = client_truth(client);
    EXPECT_TRUE(truth && truth->error.empty()) << client.describe();
    return truth ? truth->local_port : 0;
  }

  ScratchDir scratch_{"procflow-service"};
  std::unique_ptr<SpawnedProcess> service_;
};

TEST_F(ServiceTest, SighupReloadsOutputsAndFiltersWithoutLosingOrRepeatingAnEvent) {
  const std::string first = file("first.json"), second = file("second.json");
  write_config(config_for(first, kServerPort));
  SpawnedProcess& service = start_service();
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 100), nullptr);
  ASSERT_NE(start_server(topo().host_ip4(), kOtherPort, 1, 100), nullptr);

  const int64_t before = connect_to(kServerPort);
  const int64_t unwanted_before = connect_to(kOtherPort);
  ASSERT_TRUE(wait_for_both_ends(first, before)) << service.describe();

  // A broken config is refused; the running one goes on.
  write_config("outputs:\n  - uri: file:" + second + "\n    colour: blue\n");
  service.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log("reload refused")) << service.describe();
  EXPECT_TRUE(wait_for_log("procflow.yaml:3:5: outputs[0].colour: unknown key"))
      << service.describe();
  const int64_t after_refusal = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(first, after_refusal)) << service.describe();

  // A good one: another file, another port.
  write_config(config_for(second, kOtherPort));
  service.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log("reloaded: 1 outputs")) << service.describe();
  const int64_t wanted_after = connect_to(kOtherPort);
  const int64_t unwanted_after = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(second, wanted_after)) << service.describe();

  service.signal(SIGTERM);
  auto status = service.wait(20s);
  ASSERT_TRUE(status) << service.describe();
  EXPECT_TRUE(status->success()) << service.describe();

  for (int64_t port : {before, after_refusal}) {
    EXPECT_EQ(count_of(first, port, "start"), 2u) << "client port " << port;
    EXPECT_EQ(count_of(first, port, "end"), 2u) << "client port " << port;
    EXPECT_EQ(count_of(second, port, "start") + count_of(second, port, "end"), 0u);
  }
  EXPECT_EQ(count_of(second, wanted_after, "start"), 2u);
  EXPECT_EQ(count_of(second, wanted_after, "end"), 2u);
  EXPECT_EQ(count_of(first, wanted_after, "start") + count_of(first, wanted_after, "end"), 0u);
  for (int64_t port : {unwanted_before, unwanted_after})
    EXPECT_EQ(count_of(first, port, "start") + count_of(second, port, "start"), 0u)
        << "the filter of the time let client port " << port << " through";
  // Nothing written twice: no line is in both files.
  std::set<std::string> first_lines;
  for (const auto& e : events_in(first)) first_lines.insert(e.raw());
  for (const auto& e : events_in(second))
    EXPECT_EQ(first_lines.count(e.raw()), 0u) << "in both outputs: " << e.raw();
}

// A reload keeps an unchanged ClickHouse output with the rows it holds while
// its server is down: they arrive, each once, when it returns. A reload that
// changes it retires the old one on a thread of its own: the loop goes on (the
// reload is logged before the retirement ends, and a file output keeps
// receiving), and the rows the old output still held when its drain ran out
// are counted as lost with reason `retired`, exactly.
TEST_F(ServiceTest, AReloadKeepsAnUnchangedClickHouseOutputAndCountsWhatARetiredOneHeld) {
  constexpr int kHttpPort = 18625, kNativePort = 18626;
  ClickHouseServer server(kHttpPort, kNativePort);
  ASSERT_TRUE(server.start()) << server.describe();
  std::string error;
  ASSERT_TRUE(server.run_file(PROCFLOW_SOURCE_DIR "/deploy/clickhouse/flows.sql", &error)) << error;
  const std::string fast = file("fast.json");
  const std::string clickhouse = "clickhouse+http://127.0.0.1:" + std::to_string(kHttpPort) +
                                 "/?database=procflow&table=flows&max_rows=1000&max_age_ms=200"
                                 "&max_backoff_ms=500";
  auto config = [&](const std::string& clickhouse_uri) {
    return "outputs:\n  - uri: file:" + fast + "\n  - uri: \"" + clickhouse_uri +
           "\"\nfilter:\n  include: {port: [" + std::to_string(kServerPort) + "]}\ninterfaces: [" +
           topo().host_if() + "]\n";
  };
  write_config(config(clickhouse));
  SpawnedProcess& service = start_service();
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 100), nullptr);
  auto events_of = [&](int64_t client_port) {
    return count_of(fast, client_port, "start") + count_of(fast, client_port, "message") +
           count_of(fast, client_port, "end");
  };
  auto rows_of = [&](int64_t client_port) {
    const std::string p = std::to_string(client_port);
    return server.query("SELECT count() FROM procflow.flows WHERE src_port = " + p +
                        " OR dest_port = " + p + " FORMAT TabSeparated");
  };
  auto wait_for_rows = [&](int64_t client_port, const std::string& want) {
    std::optional<std::string> got;
    for (int i = 0; i < 200 && got != want; i++) {
      got = rows_of(client_port);
      if (got != want) std::this_thread::sleep_for(100ms);
    }
    return got.value_or("no answer");
  };

  // 1. The server is down; a reload that changes nothing keeps the output
  // with the rows it holds. The file output receives meanwhile.
  server.stop();
  const int64_t held = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(fast, held)) << service.describe();
  write_config(config(clickhouse));
  service.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log("reloaded: 2 outputs (2 kept, 0 opened, 0 retired)"))
      << service.describe();

  // 2. It returns: the rows held across the reload arrive, each once.
  ASSERT_TRUE(server.start()) << server.describe();
  const std::string held_rows = std::to_string(events_of(held)) + "\n";
  EXPECT_EQ(wait_for_rows(held, held_rows), held_rows);
  std::this_thread::sleep_for(1s);  // a duplicate would have had time to arrive
  EXPECT_EQ(rows_of(held), held_rows);

  // 3. Down again; a reload that changes the ClickHouse output retires the
  // old one with the rows of `lost` held, and the loop goes on meanwhile.
  server.stop();
  const int64_t lost = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(fast, lost)) << service.describe();
  std::string changed = clickhouse;
  changed.replace(changed.find("max_rows=1000"), 13, "max_rows=999");
  write_config(config(changed));
  service.signal(SIGHUP);
  ASSERT_TRUE(wait_for_log("reloaded: 2 outputs (1 kept, 1 opened, 1 retired)"))
      << service.describe();
  const int64_t after = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(fast, after)) << service.describe();
  const std::string retired_line = "lost: " + std::to_string(events_of(lost)) +
                                   " events not written: still queued or held by output "
                                   "clickhouse+http://127.0.0.1:" +
                                   std::to_string(kHttpPort) + "/ when a reload retired it";
  ASSERT_TRUE(wait_for_log(retired_line)) << service.describe();
  {  // The reload returned first: the loop did not wait for the drain.
    const auto lines = service.err().lines();
    size_t reloaded_at = lines.size(), retired_at = lines.size();
    for (size_t i = 0; i < lines.size(); i++) {
      if (lines[i].find("(1 kept, 1 opened, 1 retired)") != std::string::npos) reloaded_at = i;
      if (lines[i].find(retired_line) != std::string::npos) retired_at = i;
    }
    EXPECT_LT(reloaded_at, retired_at) << service.describe();
  }

  // 4. Back: the new output's rows arrive once; the retired one's never do.
  ASSERT_TRUE(server.start()) << server.describe();
  const std::string after_rows = std::to_string(events_of(after)) + "\n";
  EXPECT_EQ(wait_for_rows(after, after_rows), after_rows);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(rows_of(after), after_rows);
  EXPECT_EQ(rows_of(lost), std::optional<std::string>("0\n"));
  EXPECT_EQ(rows_of(held), held_rows);

  // 5. Down at the stop: what the output still holds after the final drain
  // is counted (reason shutdown) and in the exit report, with the retired
  // rows in the total.
  server.stop();
  const int64_t at_stop = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(fast, at_stop)) << service.describe();
  service.signal(SIGTERM);
  auto status = service.wait(20s);
  ASSERT_TRUE(status) << service.describe();
  EXPECT_TRUE(status->success()) << service.describe();
  const std::string report = service.err().text();
  EXPECT_NE(report.find("lost: " + std::to_string(events_of(at_stop)) +
                        " events not written: still queued or held by output "
                        "clickhouse+http://127.0.0.1:" +
                        std::to_string(kHttpPort) + "/ when procflow stopped"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("records lost, " + std::to_string(events_of(lost) + events_of(at_stop)) +
                        " events not written"),
            std::string::npos)
      << report;
  EXPECT_EQ(count_of(fast, held, "end"), 2u);
  EXPECT_EQ(count_of(fast, lost, "end"), 2u);
  EXPECT_EQ(count_of(fast, after, "end"), 2u);
  EXPECT_EQ(count_of(fast, at_stop, "end"), 2u);
}

TEST_F(ServiceTest, ABadConfigIsRefusedBeforeAnythingIsLoaded) {
  write_config("max_flows: 12\nfilter:\n  include: {action: [stop]}\n");
  auto check = run_command({procflow_binary(), "run", "--config", config_path(), "--check-config"});
  ASSERT_TRUE(check.status) << check.describe({});
  EXPECT_EQ(check.status->code, 2) << check.err;
  EXPECT_NE(check.err.find("procflow.yaml:1:12: max_flows: expected a number of flows between "
                           "1024 and 4194304, got '12'"),
            std::string::npos)
      << check.err;
  EXPECT_NE(check.err.find("procflow.yaml:3:22: filter.include.action[0]: expected start, "
                           "message or end, got 'stop'"),
            std::string::npos)
      << check.err;
  write_config(config_for(file("x.json"), kServerPort));
  auto good = run_command({procflow_binary(), "run", "--config", config_path(), "--check-config"});
  EXPECT_TRUE(good.ok()) << good.err;
  EXPECT_NE(good.err.find("the config is valid"), std::string::npos) << good.err;
}

// The systemd notify protocol, received the way systemd does: a datagram
// socket named by $NOTIFY_SOCKET. READY=1 only once tracing started,
// watchdog pings at half of WATCHDOG_USEC, a STATUS= line with the flows,
// RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at SIGTERM.
TEST_F(ServiceTest, SpeaksTheSystemdNotifyProtocol) {
  const std::string socket_path = file("notify");
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval timeout{0, 200'000};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::vector<std::string> messages;
  auto receive_until = [&](const std::string& wanted, std::chrono::seconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      const ssize_t n = recv(sock, buf, sizeof buf, 0);
      if (n <= 0) continue;
      messages.emplace_back(buf, static_cast<size_t>(n));
      if (messages.back().find(wanted) != std::string::npos) return true;
    }
    return false;
  };

  write_config(config_for(file("flows.json"), kServerPort));
  service_ = std::make_unique<SpawnedProcess>(
      std::vector<std::string>{"env", "NOTIFY_SOCKET=" + socket_path, "WATCHDOG_USEC=1000000",
                               procflow_binary(), "run", "--config", config_path()});
  ASSERT_TRUE(receive_until("READY=1", 20s)) << service_->describe();
  EXPECT_TRUE(wait_for_log("tracing started")) << "READY=1 before the programs were attached";
  messages.clear();
  ASSERT_TRUE(receive_until("WATCHDOG=1", 3s)) << testing::PrintToString(messages);
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 100), nullptr);
  const int64_t port = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(file("flows.json"), port));
  ASSERT_TRUE(receive_until("STATUS=tracing: ", 5s)) << testing::PrintToString(messages);
  EXPECT_NE(messages.back().find(" started, 0 records lost, 0 events not written"),
            std::string::npos)
      << messages.back();

  service_->signal(SIGHUP);
  ASSERT_TRUE(receive_until("RELOADING=1", 5s)) << testing::PrintToString(messages);
  EXPECT_NE(messages.back().find("MONOTONIC_USEC="), std::string::npos) << messages.back();
  ASSERT_TRUE(receive_until("READY=1", 5s)) << testing::PrintToString(messages);

  service_->signal(SIGTERM);
  ASSERT_TRUE(receive_until("STOPPING=1", 10s)) << testing::PrintToString(messages);
  auto status = service_->wait(20s);
  ASSERT_TRUE(status) << service_->describe();
  EXPECT_TRUE(status->success()) << service_->describe();
  close(sock);
}

// Least privilege: once attached, the tracer holds only the documented
// capabilities (docs/deployment.md#capabilities) in every set, and its output
// threads hold none; it still traces, including the end of a flow.
TEST_F(ServiceTest, KeepsOnlyTheCapabilitiesItNeedsAfterStartUp) {
  // With the metrics endpoint on: its HTTP threads must hold nothing either.
  write_config(config_for(file("flows.json"), kServerPort) +
               "metrics: {address: \"127.0.0.1:19470\"}\n");
  SpawnedProcess& service = start_service();
  ASSERT_TRUE(
      wait_for_log("capabilities kept after start-up: cap_net_admin, cap_sys_ptrace, "
                   "cap_dac_read_search, cap_bpf, cap_perfmon"))
      << service.describe();
  // CAP_DAC_READ_SEARCH 2, CAP_NET_ADMIN 12, CAP_SYS_PTRACE 19, CAP_PERFMON 38, CAP_BPF 39.
  const uint64_t expected = (1ull << 2) | (1ull << 12) | (1ull << 19) | (1ull << 38) | (1ull << 39);
  auto capability_sets = [](const std::string& status_path) {
    std::map<std::string, uint64_t> sets;
    std::ifstream in(status_path);
    for (std::string line; std::getline(in, line);)
      for (const char* key : {"CapEff:", "CapPrm:", "CapBnd:", "CapInh:", "CapAmb:"})
        if (line.rfind(key, 0) == 0) sets[key] = std::stoull(line.substr(strlen(key)), nullptr, 16);
    return sets;
  };
  const std::string task_dir = "/proc/" + std::to_string(service.pid()) + "/task";
  const auto main_thread =
      capability_sets(task_dir + "/" + std::to_string(service.pid()) + "/status");
  EXPECT_EQ(main_thread.at("CapEff:"), expected);
  EXPECT_EQ(main_thread.at("CapPrm:"), expected);
  EXPECT_EQ(main_thread.at("CapBnd:"), expected);
  EXPECT_EQ(main_thread.at("CapInh:"), 0u);
  EXPECT_EQ(main_thread.at("CapAmb:"), 0u);
  std::map<std::string, size_t> helpers;  // thread name -> threads seen
  for (const auto& task : std::filesystem::directory_iterator(task_dir)) {
    // procflow's output writers and metrics server; a sanitizer runtime's
    // own threads are not procflow's.
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm != "pf-output" && comm != "pf-metrics") continue;
    const auto sets = capability_sets((task.path() / "status").string());
    EXPECT_EQ(sets.at("CapEff:"), 0u) << comm << " thread " << task.path();
    EXPECT_EQ(sets.at("CapPrm:"), 0u) << comm << " thread " << task.path();
    helpers[comm]++;
  }
  EXPECT_GE(helpers["pf-output"], 1u) << "the file output's writer thread";
  EXPECT_GE(helpers["pf-metrics"], 1u) << "the metrics server's threads";

  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 100), nullptr);
  const int64_t port = connect_to(kServerPort);
  ASSERT_TRUE(wait_for_both_ends(file("flows.json"), port)) << service.describe();
  service.signal(SIGTERM);
  auto status = service.wait(20s);
  ASSERT_TRUE(status && status->success()) << service.describe();
}

}  // namespace
}  // namespace procflow_it
