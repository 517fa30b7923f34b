// openssl s_server; see openssl_server.h.
#include "openssl_server.h"

#include "listen_wait.h"
#include "tls_cert.h"

namespace procflow_it {

OpensslServer::OpensslServer(const std::string& ip, int port)
    : dir_("procflow-s_server-"), ip_(ip), port_(port) {}

OpensslServer::~OpensslServer() {
  if (process_) process_->kill_group();
}

::testing::AssertionResult OpensslServer::start(std::chrono::milliseconds timeout) {
  TlsCert cert;
  try {
    cert = make_self_signed_cert(dir_.path(), kTlsName);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
  const std::string host = ip_.find(':') != std::string::npos ? "[" + ip_ + "]" : ip_;
  process_ = std::make_unique<SpawnedProcess>(std::vector<std::string>{
      "openssl", "s_server", "-accept", host + ":" + std::to_string(port_), "-naccept", "1",
      "-cert", cert.cert.string(), "-key", cert.key.string(), "-alpn", "http/1.1", "-www"});
  if (!wait_for_listener(*process_, ip_, port_, Transport::tcp, timeout)) {
    return ::testing::AssertionFailure() << "s_server does not listen\n" << describe();
  }
  return ::testing::AssertionSuccess();
}

std::string OpensslServer::describe() const {
  return process_ ? process_->describe() : "s_server not started\n";
}

std::vector<std::string> openssl_client_argv(const std::string& ip, int port,
                                             const std::string& server_name,
                                             const std::string& alpn) {
  const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return {"openssl",     "s_client",  "-connect", host + ":" + std::to_string(port),
          "-servername", server_name, "-alpn",    alpn};
}

}  // namespace procflow_it
