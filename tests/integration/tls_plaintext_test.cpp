// TLS plaintext through the OpenSSL uprobes (issue 11, part 3): a real
// `openssl s_server` in the root namespace and `curl -k` in the test's
// namespace exchange one HTTPS request and its response. procflow, at log
// level trace, must log the decrypted request line and the response status
// line on both sides, each with the process that moved it (curl's pid on the
// client side, s_server's on the server side) and one non-zero socket per
// side. s_server runs in its plain mode, which calls SSL_read/SSL_write itself
// and answers with what its stdin gives: a FIFO the test writes the response
// to once the request has arrived. (`-www` would answer by itself, but through
// OpenSSL's SSL BIO, which the uprobes do not see: docs/attach-plan.md.)
// `--disable-hook tls_uprobe` must capture nothing and say why. The lead
// replaces the log assertions by `message` events.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration_test.h"
#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {
namespace {

// The write end of the response FIFO, closed with the test.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

constexpr int kTlsPort = 18443;
const std::string kPath = "/procflow-tls-check";

// One "tls ..." trace line of procflow (src/service/tracer.cpp).
struct TlsLine {
  bool sent = false;
  long pid = 0;
  std::string sock;
  std::string data;  // escaped: \r\n as two characters each
};

std::vector<TlsLine> tls_lines(const std::string& log) {
  static const std::regex line_re(
      R"(tls (sent|received) pid=(\d+) tid=\d+ sock=([0-9a-f]+) len=\d+ copied=\d+ )"
      R"(turn_start=(?:true|false) data="(.*)\"$)");
  std::vector<TlsLine> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, line_re)) continue;
    out.push_back({m[1] == "sent", std::stol(m[2]), m[3], m[4]});
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

class TlsPlaintextTest : public IntegrationTest {
 protected:
  // A self-signed P-256 certificate for the server, in a scratch directory.
  void make_certificate() {
    const auto dir = scratch_.path().string();
    const std::vector<std::string> argv = {"openssl",
                                           "req",
                                           "-x509",
                                           "-newkey",
                                           "ec",
                                           "-pkeyopt",
                                           "ec_paramgen_curve:prime256v1",
                                           "-nodes",
                                           "-days",
                                           "1",
                                           "-subj",
                                           "/CN=procflow-test",
                                           "-keyout",
                                           dir + "/key.pem",
                                           "-out",
                                           dir + "/cert.pem"};
    const CommandResult made = run_command(argv);
    ASSERT_TRUE(made.ok()) << made.describe(argv);
  }

  // `openssl s_server` on the host side of the veth, for one connection,
  // its stdin the FIFO respond() writes to.
  void start_tls_server() {
    const auto dir = scratch_.path().string();
    const std::string fifo = dir + "/response";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
    // exec: the shell's pid becomes s_server's, the pid procflow must report.
    server_ = std::make_unique<SpawnedProcess>(std::vector<std::string>{
        "sh", "-c",
        "exec openssl s_server -accept " + topo().host_ip4() + ":" + std::to_string(kTlsPort) +
            " -cert " + dir + "/cert.pem -key " + dir + "/key.pem -naccept 1 < " + fifo});
    // The shell opens the FIFO for reading: until then, opening it for
    // writing without blocking fails with ENXIO.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!response_fd_.valid() && std::chrono::steady_clock::now() < deadline) {
      response_fd_ = UniqueFd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
      if (!response_fd_.valid()) std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(response_fd_.valid()) << server_->describe();
    ASSERT_TRUE(server_->out().wait_for(
        [](const std::vector<std::string>& lines) { return has_line(lines, "ACCEPT"); }, 10s))
        << server_->describe();
  }

  // Once s_server printed the request it read: the response, then EOF on
  // its stdin, which makes it close the connection (curl reads to the end).
  void respond() {
    ASSERT_TRUE(server_->out().wait_for(
        [](const std::vector<std::string>& lines) { return has_line(lines, "GET " + kPath); }, 10s))
        << server_->describe();
    const std::string response = "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
    ASSERT_EQ(::write(response_fd_.get(), response.data(), response.size()),
              static_cast<ssize_t>(response.size()));
    response_fd_ = UniqueFd();
  }

  static bool has_line(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  // curl in the test's namespace: one GET, the certificate not checked;
  // s_server answers, curl is waited for.
  SpawnedProcess& run_exchange() {
    SpawnedProcess& client =
        spawn_in_ns({"curl", "-sk", "--max-time", "10", "-o", "/dev/null",
                     "https://" + topo().host_ip4() + ":" + std::to_string(kTlsPort) + kPath});
    respond();
    if (!client.wait(15s)) ADD_FAILURE() << "curl still running after 15 s";
    return client;
  }

  ScratchDir scratch_{"pf-tls"};
  std::unique_ptr<SpawnedProcess> server_;
  UniqueFd response_fd_;
};

TEST_F(TlsPlaintextTest, RequestAndResponseOnBothSidesWithTheirProcesses) {
  ASSERT_NO_FATAL_FAILURE(make_certificate());
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({topo().host_if()}, {}, {"--log-level", "trace"}));
  ASSERT_TRUE(procflow().wait_for_log("TLS plaintext from ", 1s)) << procflow().describe();
  ASSERT_NO_FATAL_FAILURE(start_tls_server());
  SpawnedProcess& client = run_exchange();
  ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
  const long client_pid = client.pid(), server_pid = server_->pid();

  for (const auto& [pid, sent] : std::vector<std::pair<long, bool>>{
           {client_pid, true}, {client_pid, false}, {server_pid, false}, {server_pid, true}}) {
    const std::string want =
        std::string("tls ") + (sent ? "sent" : "received") + " pid=" + std::to_string(pid) + " ";
    EXPECT_TRUE(procflow().wait_for_log(want, 10s)) << "no \"" << want << "\"\n"
                                                    << procflow().describe();
  }
  const std::vector<TlsLine> lines = tls_lines(procflow().stderr_text());

  const std::string request = "GET " + kPath + " HTTP/1.1\\r\\n";
  const std::string response = "HTTP/1.0 200 ok\\r\\n";
  std::map<long, std::set<std::string>> socks;  // per process
  bool client_request = false, client_response = false;
  bool server_request = false, server_response = false;
  for (const TlsLine& l : lines) {
    if (l.pid != client_pid && l.pid != server_pid) continue;  // another TLS user of the host
    socks[l.pid].insert(l.sock);
    const bool client_side = l.pid == client_pid;
    if (l.sent && starts_with(l.data, client_side ? request : response))
      (client_side ? client_request : server_response) = true;
    if (!l.sent && starts_with(l.data, client_side ? response : request))
      (client_side ? client_response : server_request) = true;
  }
  const std::string all = procflow().describe();
  EXPECT_TRUE(client_request) << "curl's request line was not captured as sent\n" << all;
  EXPECT_TRUE(client_response) << "curl's response line was not captured as received\n" << all;
  EXPECT_TRUE(server_request) << "s_server's request line was not captured as received\n" << all;
  EXPECT_TRUE(server_response) << "s_server's response was not captured as sent\n" << all;
  // One connection per side: one socket, known.
  for (long pid : {client_pid, server_pid}) {
    ASSERT_EQ(socks[pid].size(), 1u) << "pid " << pid << "\n" << all;
    EXPECT_NE(*socks[pid].begin(), "0") << "pid " << pid << "\n" << all;
  }
  EXPECT_NE(*socks[client_pid].begin(), *socks[server_pid].begin()) << all;
  stop_procflow();
}

TEST_F(TlsPlaintextTest, DisabledHookCapturesNothingAndSaysWhy) {
  ASSERT_NO_FATAL_FAILURE(make_certificate());
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({topo().host_if()}, {"--disable-hook", "tls_uprobe"},
                                            {"--log-level", "trace"}));
  EXPECT_TRUE(procflow().wait_for_log("no TLS plaintext: disabled (--no-tls-plaintext", 1s))
      << procflow().describe();
  ASSERT_NO_FATAL_FAILURE(start_tls_server());
  SpawnedProcess& client = run_exchange();
  ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
  // Records still in the ring are read at the stop.
  ASSERT_TRUE(server_->wait(10s)) << server_->describe();
  stop_procflow();
  EXPECT_TRUE(tls_lines(procflow().stderr_text()).empty()) << procflow().describe();
}

}  // namespace
}  // namespace procflow_it
