// The message suites' fixture; see message_test.h.
#include "message_test.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "python_peer.h"

namespace procflow_it {

void MessageTest::TearDown() {
  if (HasFailure()) {
    for (const auto& [title, describe] : peers_) {
      std::cerr << "===== " << title << " =====\n" << describe();
    }
  }
  IntegrationTest::TearDown();
}

void MessageTest::print_on_failure(std::string title, std::function<std::string()> describe) {
  peers_.emplace_back(std::move(title), std::move(describe));
}

void MessageTest::talk(const std::string& transport, const std::string& host, int port,
                       const TalkScript& script, Transcript* out) {
  SpawnedProcess& client = run_in_ns(talk_argv(transport, host, port, script));
  std::string error;
  auto transcript = transcript_of(client, &error);
  ASSERT_TRUE(transcript) << error << "\n" << client.describe();
  ASSERT_EQ(transcript->pid, client.pid()) << "talk.py must be the spawned process itself";
  *out = *transcript;
}

SpawnedProcess& MessageTest::run_in_root(std::vector<std::string> argv) {
  root_clients_.push_back(std::make_unique<SpawnedProcess>(std::move(argv)));
  SpawnedProcess& client = *root_clients_.back();
  print_on_failure("client", [&client] { return client.describe(); });
  if (!client.wait(15s)) ADD_FAILURE() << "still running after 15 s: " << client.command_line();
  return client;
}

void MessageTest::talk_from_root(const std::string& transport, const std::string& host, int port,
                                 const TalkScript& script, Transcript* out) {
  SpawnedProcess& client = run_in_root(talk_argv(transport, host, port, script));
  std::string error;
  auto transcript = transcript_of(client, &error);
  ASSERT_TRUE(transcript) << error << "\n" << client.describe();
  ASSERT_EQ(transcript->pid, client.pid()) << "talk.py must be the spawned process itself";
  *out = *transcript;
}

FlowSelector MessageTest::client_flow_of(const Transcript& t, const std::string& server_ip,
                                         int port, const std::string& transport) {
  return FlowSelector{t.local_ip, t.local_port, server_ip, port, true, std::nullopt, transport};
}

FlowSelector MessageTest::server_flow_of(const Transcript& t, const std::string& server_ip,
                                         int port, const std::string& transport) {
  return FlowSelector{t.local_ip, t.local_port, server_ip, port, false, std::nullopt, transport};
}

ExpectedProcess MessageTest::talk_process(const Transcript& t) {
  return ExpectedProcess{t.pid, getpid(), python_exe(), python_image_path(), 0, "root"};
}

ExpectedProcess MessageTest::spawned_process(int64_t pid, const std::string& image_path) {
  return ExpectedProcess{
      pid, getpid(), std::filesystem::path(image_path).filename().string(), image_path, 0, "root"};
}

void MessageTest::both_flows(const FlowSelector& client, const FlowSelector& server,
                             Flow* client_flow, Flow* server_flow) {
  ASSERT_TRUE(wait_for_ends({client, server}));
  auto events = procflow().events();
  *client_flow = collect_flow(events, client);
  *server_flow = collect_flow(events, server);
}

std::vector<std::string> MessageTest::procflow_output_lines() {
  std::vector<std::string> lines;
  for (const auto& event : procflow().events()) lines.push_back(event.raw());
  for (const auto& line : procflow().malformed_lines()) lines.push_back(line);
  std::istringstream err(procflow().stderr_text());
  for (std::string line; std::getline(err, line);) lines.push_back(line);
  return lines;
}

}  // namespace procflow_it
