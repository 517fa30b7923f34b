// A private sshd; see ssh_server.h.
#include "ssh_server.h"

#include <filesystem>
#include <fstream>

#include "listen_wait.h"

namespace procflow_it {

namespace {
constexpr const char* kSshd = "/usr/sbin/sshd";
// sshd refuses to start without its privilege separation directory; the
// Debian service creates it at boot, which a test machine may never have done.
constexpr const char* kPrivsepDir = "/run/sshd";
}  // namespace

SshServer::SshServer(const std::string& ip, int port)
    : dir_("procflow-sshd-"), ip_(ip), port_(port) {}

SshServer::~SshServer() {
  if (process_) process_->kill_group();
}

std::string SshServer::image_path() const {
  std::error_code ec;
  auto resolved = std::filesystem::canonical(kSshd, ec);
  return ec ? std::string(kSshd) : resolved.string();
}

::testing::AssertionResult SshServer::start(std::chrono::milliseconds timeout) {
  if (!std::filesystem::exists(kSshd)) {
    return ::testing::AssertionFailure() << kSshd << " is missing: install openssh-server";
  }
  const std::string key = (dir_.path() / "host_ed25519").string();
  std::vector<std::string> keygen = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key};
  CommandResult made = run_command(keygen);
  if (!made.ok()) return ::testing::AssertionFailure() << made.describe(keygen);
  std::error_code ec;
  std::filesystem::create_directories(kPrivsepDir, ec);
  const std::string config = (dir_.path() / "sshd_config").string();
  std::ofstream(config) << "ListenAddress "
                        << (ip_.find(':') != std::string::npos ? "[" + ip_ + "]" : ip_) << ":"
                        << port_ << "\n"
                        << "HostKey " << key << "\n"
                        << "PidFile none\n"
                        << "UsePAM no\n"
                        << "PasswordAuthentication no\n"
                        << "KbdInteractiveAuthentication no\n"
                        << "PubkeyAuthentication no\n"
                        << "StrictModes no\n";
  // -D: foreground; -d: debug, one connection, no fork; -e: log to stderr.
  process_ = std::make_unique<SpawnedProcess>(
      std::vector<std::string>{image_path(), "-D", "-d", "-e", "-f", config});
  if (!wait_for_listener(*process_, ip_, port_, Transport::tcp, timeout)) {
    return ::testing::AssertionFailure() << "sshd does not listen\n" << describe();
  }
  return ::testing::AssertionSuccess();
}

std::string SshServer::describe() const {
  return process_ ? process_->describe() : "sshd not started\n";
}

}  // namespace procflow_it
