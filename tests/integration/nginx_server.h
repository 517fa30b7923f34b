// Debian's nginx as the message suites' web server, started by the test with
// a config of its own in a scratch directory (never the system's nginx or
// its files): one master and one worker (which runs as nobody and serves
// every connection), HTTP/1.1 with keep-alive on one port, HTTPS (HTTP/2
// and HTTP/1.1 offered by ALPN, a self-signed certificate for web.test) on
// another, both on one address of the root namespace. Static files of known
// content; /login also sets a cookie (a credential the server sends).
// RAII: the destructor kills master and worker.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "spawned_process.h"
#include "tls_cert.h"

namespace procflow_it {

class NginxServer {
 public:
  // The files served, path -> exact content (sizes matter: Content-Length).
  static const std::map<std::string, std::string>& files();
  // The Set-Cookie value /login sends.
  static constexpr const char* kLoginCookie = "sid=pf-cookie-7Qm2xW9";
  static constexpr const char* kTlsName = "web.test";

  // `launcher`: an argv prefix that execs nginx elsewhere (`ip netns exec
  // NS`, so the spawned pid is still the master's); empty: the root namespace.
  NginxServer(const std::string& ip, int http_port, int https_port,
              std::vector<std::string> launcher = {});
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  // Starts nginx and waits until both ports listen and the worker runs.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = 20s);

  pid_t master_pid() const { return process_->pid(); }
  pid_t worker_pid() const { return worker_pid_; }
  std::string image_path() const;  // /usr/sbin/nginx, resolved
  std::string describe() const;

 private:
  ScratchDir dir_;
  std::string ip_;
  int http_port_;
  int https_port_;
  std::vector<std::string> launcher_;
  std::unique_ptr<SpawnedProcess> process_;
  pid_t worker_pid_ = -1;
};

}  // namespace procflow_it
