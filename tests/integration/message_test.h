// The fixture of the message suites: the integration topology (client in the
// test's namespace, real servers in the root namespace on the host-side
// veth's address, procflow on that veth), the scripted client, the flows of
// one conversation on both sides, and everything procflow printed, for the
// credential scans. Peers register a description to print on failure.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flow_assertions.h"
#include "integration_test.h"
#include "message_contract.h"
#include "talk_client.h"

namespace procflow_it {

// The peers' ports: private ones, so nDPI must recognise each protocol by
// its content, never by a well-known port.
inline constexpr int kHttpPort = 18080;
inline constexpr int kHttpsPort = 18443;
inline constexpr int kSServerPort = 18444;
inline constexpr int kSshPort = 18022;
inline constexpr int kSmtpPort = 18025;
inline constexpr int kFtpPort = 18021;
inline constexpr int kPop3Port = 18110;
inline constexpr int kImapPort = 18143;
inline constexpr int kDnsPort = 53;  // dnsmasq's; the namespace's resolver asks there

class MessageTest : public IntegrationTest {
 protected:
  void TearDown() override;

  // Prints `describe()` under `title` if the test fails.
  void print_on_failure(std::string title, std::function<std::string()> describe);

  // Runs talk.py in the namespace against host:port and returns its transcript.
  void talk(const std::string& transport, const std::string& host, int port,
            const TalkScript& script, Transcript* out);

  // The same from the root namespace (to a server in the test's namespace).
  void talk_from_root(const std::string& transport, const std::string& host, int port,
                      const TalkScript& script, Transcript* out);
  // Runs argv in the root namespace to completion (up to 15 s); kept for failure messages.
  SpawnedProcess& run_in_root(std::vector<std::string> argv);

  // The client's (initiated) and the server's flow of a transcript's connection.
  static FlowSelector client_flow_of(const Transcript& t, const std::string& server_ip, int port,
                                     const std::string& transport = "TCP");
  static FlowSelector server_flow_of(const Transcript& t, const std::string& server_ip, int port,
                                     const std::string& transport = "TCP");

  // talk.py's process (Debian's python, started by this test through `ip netns exec`).
  static ExpectedProcess talk_process(const Transcript& t);
  // A process this test spawned in the root namespace, running `image_path` as root.
  static ExpectedProcess spawned_process(int64_t pid, const std::string& image_path);

  // Both flows ended; then the events of each.
  void both_flows(const FlowSelector& client, const FlowSelector& server, Flow* client_flow,
                  Flow* server_flow);

  // Every line procflow printed, stdout and stderr.
  std::vector<std::string> procflow_output_lines();

 private:
  std::vector<std::pair<std::string, std::function<std::string()>>> peers_;
  std::vector<std::unique_ptr<SpawnedProcess>> root_clients_;
};

}  // namespace procflow_it
