// dnsmasq for the DNS-name tests; see dns_server.h.
#include "dns_server.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace procflow_it {
namespace {

constexpr const char* kPidFileDir = "/run";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Kills the dnsmasq of an earlier run that crashed (its pid file names a test
// process that is gone), but only when that pid is still a dnsmasq started
// with that very pid file: pids are reused.
void sweep_stale() {
  namespace fs = std::filesystem;
  static const std::regex pid_file_name(R"(pf-(\d+)-\d+\.dnsmasq\.pid)");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kPidFileDir, ec)) {
    std::smatch m;
    std::string name = entry.path().filename();
    if (!std::regex_match(name, m, pid_file_name) || pid_alive(std::stol(m[1]))) continue;
    long dnsmasq_pid = std::atol(read_file(entry.path()).c_str());
    if (dnsmasq_pid > 0) {
      std::string cmdline = read_file("/proc/" + std::to_string(dnsmasq_pid) + "/cmdline");
      if (cmdline.find("--pid-file=" + entry.path().string()) != std::string::npos) {
        ::kill(static_cast<pid_t>(dnsmasq_pid), SIGKILL);
      }
    }
    fs::remove(entry.path(), ec);
  }
}

std::vector<std::string> dnsmasq_argv(const std::string& pid_file, const std::string& listen_ip,
                                      const std::vector<std::string>& records) {
  std::vector<std::string> argv = {"dnsmasq",
                                   "--keep-in-foreground",
                                   "--conf-file=/dev/null",
                                   "--pid-file=" + pid_file,
                                   "--user=nobody",
                                   "--group=nogroup",
                                   "--no-resolv",
                                   "--no-hosts",
                                   "--local=/test/",
                                   "--listen-address=" + listen_ip,
                                   "--bind-interfaces",
                                   "--local-ttl=" + std::to_string(DnsServer::kLocalTtl),
                                   "--log-facility=-",
                                   "--log-queries"};
  argv.insert(argv.end(), records.begin(), records.end());
  return argv;
}

}  // namespace

DnsServer::DnsServer(const std::string& tag, const std::string& listen_ip,
                     const std::vector<std::string>& records)
    : pid_file_(std::string(kPidFileDir) + "/" + tag + ".dnsmasq.pid") {
  sweep_stale();
  std::error_code ec;
  std::filesystem::remove(pid_file_, ec);
  process_ = std::make_unique<SpawnedProcess>(dnsmasq_argv(pid_file_, listen_ip, records));
}

DnsServer::~DnsServer() {
  process_->kill_group();
  std::error_code ec;
  std::filesystem::remove(pid_file_, ec);
}

::testing::AssertionResult DnsServer::wait_ready(std::chrono::milliseconds timeout) {
  auto started = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      if (line.find("started, version") != std::string::npos) return true;
    }
    return false;
  };
  if (!process_->err().wait_for(started, timeout)) {
    process_->wait(0ms);
    return ::testing::AssertionFailure() << "dnsmasq did not start:\n" << process_->describe();
  }
  // The pid file is written before the log line.
  long written = std::atol(read_file(pid_file_).c_str());
  if (written != process_->pid()) {
    return ::testing::AssertionFailure()
           << "dnsmasq's pid file says " << written << ", but the spawned pid is "
           << process_->pid() << " (did it fork?)\n"
           << process_->describe();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace procflow_it
