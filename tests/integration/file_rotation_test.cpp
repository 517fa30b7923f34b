// File outputs that rotate by size, with the real tracer and real traffic:
//  - `procflow trace --output - --output 'file:…?max_size_kib=4&keep=1000&fsync=batch'`: the
//    rotated files, read oldest to newest, hold exactly the lines stdout got, in the same order,
//    none split, none twice; a second output keeping 2 files holds exactly stdout's newest lines.
//  - `procflow run --config` with the rotate/fsync keys, reloaded by SIGHUP while events flow
//    (the new output opens the same path while the old one drains): every event of every
//    connection is in the files once, whole.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "ground_truth.h"
#include "scratch_dir.h"
#include "sink_exchange.h"

namespace procflow_it {
namespace {

constexpr int kTracePort = 18640;
constexpr int kServicePort = 18641;
constexpr uint64_t kMaxFileBytes = 4096;

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The files of a rotating output, oldest (the highest number) first, then PATH itself.
std::vector<std::string> files_of(const std::string& path) {
  std::vector<std::string> out;
  for (int n = 1000; n >= 1; --n)
    if (fs::exists(path + "." + std::to_string(n)))
      out.push_back(slurp(path + "." + std::to_string(n)));
  out.push_back(slurp(path));
  return out;
}

// The lines of the files, in order, without '\n'. A file must end with a whole line.
std::vector<std::string> lines_of(const std::vector<std::string>& files) {
  std::vector<std::string> lines;
  for (const std::string& f : files) {
    EXPECT_TRUE(f.empty() || f.back() == '\n') << "a file ends with half a line";
    std::istringstream in(f);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  return lines;
}

// The files whole lines fill when each file takes lines, in order, while they fit in `max_size`
// (the rule of a rotating output, whatever the batches were).
std::vector<std::string> packed(const std::vector<std::string>& lines, uint64_t max_size) {
  std::vector<std::string> files(1);
  for (const std::string& line : lines) {
    if (!files.back().empty() && files.back().size() + line.size() + 1 > max_size)
      files.emplace_back();
    files.back() += line + "\n";
  }
  return files;
}

// Lines in the files so far (while the output may still be writing: no checks).
size_t newlines_in(const std::string& path) {
  size_t n = 0;
  for (const auto& f : files_of(path))
    n += static_cast<size_t>(std::count(f.begin(), f.end(), '\n'));
  return n;
}

class FileRotationTest : public SinkExchangeTest {};

TEST_F(FileRotationTest, RotatedFilesHoldExactlyWhatStdoutGot) {
  ScratchDir scratch("procflow-rotation");
  const std::string all = (scratch.path() / "all.json").string();
  const std::string kept = (scratch.path() / "kept.json").string();
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--output", "-", "--output",
                                          "file:" + all + "?max_size_kib=4&keep=1000&fsync=batch",
                                          "--output", "file:" + kept + "?max_size_kib=4&keep=2",
                                          "--port", std::to_string(kTracePort)}));
  TracedExchange exchange;
  // 25 connections: 100 events of about 700 bytes, some 17 files of 4 KiB.
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kTracePort, 25, &exchange));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  std::vector<std::string> from_stdout;
  for (const auto& event : procflow().events()) from_stdout.push_back(event.raw());
  ASSERT_GE(from_stdout.size(), 100u);

  const auto all_files = files_of(all);
  EXPECT_GE(all_files.size(), 10u) << "the output rotated";
  const auto from_files = lines_of(all_files);
  EXPECT_EQ(from_files, from_stdout);
  for (const auto& line : from_files) EXPECT_TRUE(JsonLine::parse(line)) << line;
  // Each file as full as whole lines allow, and no fuller.
  const auto expected_files = packed(from_stdout, kMaxFileBytes);
  EXPECT_EQ(all_files, expected_files);

  // keep=2: PATH.2, PATH.1 and PATH, the newest three of the same files; older ones deleted.
  EXPECT_EQ(files_of(kept),
            std::vector<std::string>(expected_files.end() - 3, expected_files.end()));
}

TEST_F(FileRotationTest, AServiceReloadMidRunLosesAndRepeatsNothing) {
  ScratchDir scratch("procflow-rotation-service");
  const std::string flows = (scratch.path() / "flows.json").string();
  const std::string config = (scratch.path() / "procflow.yaml").string();
  std::ofstream(config) << "outputs:\n  - uri: file:" << flows
                        << "\n    rotate: {max_size_kib: 4, keep: 1000}\n    fsync: rotate\n"
                        << "filter:\n  include: {port: [" << kServicePort << "]}\n"
                        << "interfaces: [" << topo().host_if() << "]\n";
  SpawnedProcess service({procflow_binary(), "run", "--config", config});
  ASSERT_TRUE(service.err().wait_for_text("tracing started", 1, 20s)) << service.describe();
  ASSERT_NE(start_server(topo().host_ip4(), kServicePort, 2, kServerBytes), nullptr);

  std::vector<int64_t> clients;
  for (int i = 0; i < 30; ++i) {
    SpawnedProcess& client =
        run_in_ns({helper_path(Helper::tcp_client), topo().host_ip4(), std::to_string(kServicePort),
                   std::to_string(kClientBytes)});
    const auto truth = client_truth(client);
    ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
    clients.push_back(truth->local_port);
    // Two reloads while connections come and go: the old output drains (and may rotate) while
    // the new one has the same path open.
    if (i == 9 || i == 19) {
      service.signal(SIGHUP);
      ASSERT_TRUE(service.err().wait_for_text("reloaded: 1 outputs", i == 9 ? 1 : 2, 20s))
          << service.describe();
    }
  }
  // Each connection's two starts and two ends are in the files before the stop.
  for (int i = 0; i < 400 && newlines_in(flows) < 4 * clients.size(); ++i)
    std::this_thread::sleep_for(50ms);
  service.signal(SIGTERM);
  const auto status = service.wait(20s);
  ASSERT_TRUE(status && status->success()) << service.describe();

  const auto files = files_of(flows);
  EXPECT_GE(files.size(), 10u) << "the output rotated";
  std::map<std::pair<int64_t, std::string>, size_t> seen;  // (client port, action) → events
  std::set<std::string> distinct;
  const auto lines = lines_of(files);
  for (const auto& line : lines) {
    const auto event = JsonLine::parse(line);
    ASSERT_TRUE(event) << "not a whole JSON line: " << line;
    EXPECT_TRUE(distinct.insert(line).second) << "written twice: " << line;
    const int64_t client_port = event->integer("dest_port") == kServicePort
                                    ? event->integer("src_port").value_or(0)
                                    : event->integer("dest_port").value_or(0);
    seen[{client_port, event->str("action").value_or("")}]++;
  }
  for (int64_t port : clients) {
    EXPECT_EQ(seen[std::make_pair(port, std::string("start"))], 2u) << "client port " << port;
    EXPECT_EQ(seen[std::make_pair(port, std::string("end"))], 2u) << "client port " << port;
    EXPECT_EQ(seen[std::make_pair(port, std::string("message"))], 4u) << "client port " << port;
  }
  EXPECT_EQ(lines.size(), 8 * clients.size()) << service.describe();
}

}  // namespace
}  // namespace procflow_it
