// Live tracing to several outputs at once (`--output - --output file:PATH`):
// the file gets exactly the events stdout gets, in the same order, byte for
// byte, and the flow in them is the one the client really made.
#include <fstream>

#include "flow_assertions.h"
#include "integration_test.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

class OutputTest : public IntegrationTest {};

TEST_F(OutputTest, AFileOutputGetsWhatStdoutGets) {
  ScratchDir scratch("procflow-output");
  const std::string file = (scratch.path() / "flows.json").string();
  ASSERT_NO_FATAL_FAILURE(start_procflow(
      {"--output", "-", "--output", "file:" + file, "--port", std::to_string(kServerPort)}));
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, 100), nullptr);
  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort), "100"});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_TRUE(wait_for_ends({client_side(client_ip, truth->local_port, server_ip, kServerPort),
                             server_side(client_ip, truth->local_port, server_ip, kServerPort)}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());

  std::vector<std::string> from_stdout;
  for (const auto& event : procflow().events()) from_stdout.push_back(event.raw());
  std::vector<std::string> from_file;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) from_file.push_back(line);
  EXPECT_EQ(from_file, from_stdout);
  // Both sides' start and end of the client's connection, at least.
  size_t of_the_client = 0;
  for (const auto& line : from_file)
    if (line.find("\"src_port\":" + std::to_string(truth->local_port)) != std::string::npos ||
        line.find("\"dest_port\":" + std::to_string(truth->local_port)) != std::string::npos)
      of_the_client++;
  EXPECT_GE(of_the_client, 4u) << procflow().describe();
}

}  // namespace
}  // namespace procflow_it
