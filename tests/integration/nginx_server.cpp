// A private nginx; see nginx_server.h.
#include "nginx_server.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "helper_programs.h"
#include "listen_wait.h"

namespace procflow_it {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The single child of `pid` (nginx's worker), or -1 while there is none.
pid_t only_child(pid_t pid) {
  std::istringstream children(
      read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  pid_t child = -1;
  int count = 0;
  for (pid_t c; children >> c; ++count) child = c;
  return count == 1 ? child : -1;
}

}  // namespace

const std::map<std::string, std::string>& NginxServer::files() {
  static const std::map<std::string, std::string> served = {
      {"/one.txt", "first file\n"},                        // 11 bytes
      {"/two.txt", "the second file, a little longer\n"},  // 33 bytes
      {"/login", "welcome\n"},                             // 8 bytes
  };
  return served;
}

NginxServer::NginxServer(const std::string& ip, int http_port, int https_port,
                         std::vector<std::string> launcher)
    : dir_("procflow-nginx-"),
      ip_(ip),
      http_port_(http_port),
      https_port_(https_port),
      launcher_(std::move(launcher)) {}

NginxServer::~NginxServer() {
  // The worker is in the master's process group (nginx does not setsid).
  if (process_) process_->kill_group();
}

std::string NginxServer::image_path() const {
  return system_program_path("nginx");
}

::testing::AssertionResult NginxServer::start(std::chrono::milliseconds timeout) {
  namespace fs = std::filesystem;
  const fs::path dir = dir_.path();
  // The worker runs as nobody: it must be able to read the files.
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(dir / "www");
  fs::create_directories(dir / "tmp");
  for (const auto& [path, content] : files())
    std::ofstream(dir / "www" / path.substr(1)) << content;
  TlsCert cert;
  try {
    cert = make_self_signed_cert(dir, kTlsName);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
  const std::string d = dir.string();
  std::ofstream(dir / "nginx.conf")
      << "daemon off;\n"
      << "master_process on;\n"
      << "worker_processes 1;\n"
      << "user nobody nogroup;\n"
      << "pid " << d << "/nginx.pid;\n"
      << "error_log stderr notice;\n"
      << "events { worker_connections 64; }\n"
      << "http {\n"
      << "  access_log off;\n"
      << "  server_tokens off;\n"
      << "  keepalive_timeout 30s;\n"
      << "  default_type text/plain;\n"
      << "  client_body_temp_path " << d << "/tmp/body;\n"
      << "  proxy_temp_path " << d << "/tmp/proxy;\n"
      << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
      << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
      << "  scgi_temp_path " << d << "/tmp/scgi;\n"
      << "  server {\n"
      << "    listen " << ip_ << ":" << http_port_ << ";\n"
      << "    root " << d << "/www;\n"
      << "    location = /login { add_header Set-Cookie \"" << kLoginCookie << "\"; }\n"
      << "  }\n"
      << "  server {\n"
      << "    listen " << ip_ << ":" << https_port_ << " ssl http2;\n"
      << "    server_name " << kTlsName << ";\n"
      << "    ssl_certificate " << cert.cert.string() << ";\n"
      << "    ssl_certificate_key " << cert.key.string()
      << ";\n"
      // nginx 1.22 enables TLSv1.3 only when asked to.
      << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
      << "    root " << d << "/www;\n"
      << "  }\n"
      << "}\n";
  // -e: the error log before the config is read goes to stderr too, not to
  // the system's /var/log/nginx.
  std::vector<std::string> argv = launcher_;
  argv.insert(argv.end(), {image_path(), "-p", d, "-c", d + "/nginx.conf", "-e", "stderr"});
  process_ = std::make_unique<SpawnedProcess>(argv);
  for (int port : {http_port_, https_port_}) {
    if (!wait_for_listener(*process_, ip_, port, Transport::tcp, timeout, launcher_)) {
      return ::testing::AssertionFailure()
             << "nginx does not listen on " << ip_ << ":" << port << "\n"
             << describe();
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while ((worker_pid_ = only_child(process_->pid())) < 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return ::testing::AssertionFailure() << "nginx started no worker\n" << describe();
    }
    std::this_thread::sleep_for(20ms);
  }
  return ::testing::AssertionSuccess();
}

std::string NginxServer::describe() const {
  return "nginx (worker " + std::to_string(worker_pid_) +
         "): " + (process_ ? process_->describe() : std::string("not started\n"));
}

}  // namespace procflow_it
