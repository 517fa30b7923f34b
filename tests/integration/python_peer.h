// A peer written in Python (tests/integration/peers/*.py): the SMTP, FTP,
// POP3 and IMAP servers of the message suites. Run with Debian's
// /usr/bin/python3, whose packages (aiosmtpd, pyftpdlib) the scripts import,
// never a python3 that happens to come first in $PATH. Each script prints
// {"ready":true,"pid":..} once listening, in the one process that serves
// every connection, so the server side of each flow has that pid.
// RAII: killed with its process group.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// Debian's interpreter, and what procflow must report for a process running
// it: image_path is the resolved file (/usr/bin/python3.11), exe its name.
inline constexpr const char* kSystemPython = "/usr/bin/python3";
std::string python_image_path();
std::string python_exe();

// The path of a script in tests/integration/peers/.
std::string peer_script(const std::string& name);

class PythonPeer {
 public:
  // Starts `python3 peers/<script> args...` (in the root namespace).
  PythonPeer(const std::string& script, std::vector<std::string> args);
  ~PythonPeer();
  PythonPeer(const PythonPeer&) = delete;
  PythonPeer& operator=(const PythonPeer&) = delete;

  // Waits for the ready line and checks it names the spawned pid.
  ::testing::AssertionResult wait_ready(std::chrono::milliseconds timeout = 15s);

  pid_t pid() const { return process_->pid(); }
  std::string describe() const { return process_->describe(); }

 private:
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
