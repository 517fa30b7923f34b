// A private sshd for the SSH banner test: Debian's /usr/sbin/sshd started by
// the test in debug mode (-d: one connection, no fork, so the process that
// sends the banner is the spawned one), on its own address and port, with a
// config and host key generated into a scratch directory. It never touches
// the system's sshd service, its config or its host keys. The tests only
// exchange version banners, so no login is possible or needed.
// RAII.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {

class SshServer {
 public:
  SshServer(const std::string& ip, int port);
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  // Generates the host key, starts sshd and waits until it listens.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = 20s);

  pid_t pid() const { return process_->pid(); }
  std::string image_path() const;  // /usr/sbin/sshd, resolved
  std::string describe() const;

 private:
  ScratchDir dir_;
  std::string ip_;
  int port_;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
