// `openssl s_server` as a TLS peer: one connection (-naccept 1), served by
// the spawned process itself, with a self-signed certificate for web.test;
// -www answers a GET with its status page. The client is `openssl s_client`
// (see openssl_client_argv). RAII.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {

class OpensslServer {
 public:
  static constexpr const char* kTlsName = "web.test";

  OpensslServer(const std::string& ip, int port);
  ~OpensslServer();
  OpensslServer(const OpensslServer&) = delete;
  OpensslServer& operator=(const OpensslServer&) = delete;

  // Makes the certificate, starts s_server and waits until it listens.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = 30s);

  pid_t pid() const { return process_->pid(); }
  std::string describe() const;

 private:
  ScratchDir dir_;
  std::string ip_;
  int port_;
  std::unique_ptr<SpawnedProcess> process_;
};

// `openssl s_client` to ip:port with SNI `server_name` and ALPN `alpn`
// ("http/1.1"); with stdin at EOF it completes the handshake and closes.
std::vector<std::string> openssl_client_argv(const std::string& ip, int port,
                                             const std::string& server_name,
                                             const std::string& alpn);

}  // namespace procflow_it
