// A private rsyslogd; see rsyslog_server.h.
#include "rsyslog_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace procflow_it {
namespace {

constexpr char kProbeMsgid[] = "probe";

// One RFC 5424 probe, sent the way the inputs expect it (no framing for the
// datagram inputs, octet counting for imtcp). Errors are ignored: the probe
// is repeated until it arrives.
void send_probe(const std::string& socket_path, int udp_port, int tcp_port) {
  const std::string msg = "<14>1 - probe-host test 1 probe - ready";
  {
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    addr.sin_port = htons(static_cast<uint16_t>(udp_port));
    sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
  }
  {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sin_port = htons(static_cast<uint16_t>(tcp_port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const std::string frame = std::to_string(msg.size()) + " " + msg;
      send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    }
    close(fd);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

RsyslogServer::RsyslogServer(int udp_port, int tcp_port)
    : dir_("procflow-rsyslog-"), udp_port_(udp_port), tcp_port_(tcp_port) {
  const std::string dir = dir_.path().string();
  socket_path_ = dir + "/log";
  output_path_ = dir + "/received.log";
  pid_path_ = dir + "/rsyslogd.pid";
  const std::string config_path = dir + "/rsyslog.conf";
  {
    std::ofstream config(config_path);
    // No system socket, no rate limit (a burst of events is the point), and
    // messages parsed as RFC 5424 on every input (imuxsock's own parser
    // assumes the BSD format otherwise).
    config << "global(workDirectory=\"" << dir << "\" maxMessageSize=\"64k\")\n"
           << "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
           << "input(type=\"imuxsock\" Socket=\"" << socket_path_
           << "\" UseSpecialParser=\"off\" ParseHostname=\"on\" RateLimit.Interval=\"0\")\n"
           << "module(load=\"imudp\")\n"
           << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udp_port << "\")\n"
           << "module(load=\"imtcp\")\n"
           << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp_port << "\")\n"
           << "template(name=\"fields\" type=\"string\" string=\"%inputname%|%syslogfacility%|"
              "%syslogseverity%|%hostname%|%app-name%|%procid%|%msgid%|%msg%\\n\")\n"
           << "action(type=\"omfile\" file=\"" << output_path_ << "\" template=\"fields\")\n";
  }
  process_ = std::make_unique<SpawnedProcess>(
      std::vector<std::string>{"/usr/sbin/rsyslogd", "-n", "-f", config_path, "-i", pid_path_});
  for (const std::string input : {"imuxsock", "imudp", "imtcp"}) {
    bool up = false;
    for (auto start = std::chrono::steady_clock::now();
         !up && std::chrono::steady_clock::now() - start < 10s;) {
      if (process_->status()) break;
      send_probe(socket_path_, udp_port_, tcp_port_);
      up = wait_for(input, kProbeMsgid, 1, 200ms);
      if (!up) process_->wait(0ms);
    }
    if (!up) throw std::runtime_error("rsyslogd did not receive on " + input + ": " + describe());
  }
}

RsyslogServer::~RsyslogServer() {
  if (!process_->status()) {
    process_->signal(SIGTERM);
    if (!process_->wait(5s)) process_->kill_group();
  }
}

std::vector<ReceivedSyslog> RsyslogServer::received(const std::string& msgid) const {
  std::vector<ReceivedSyslog> out;
  std::istringstream lines(read_file(output_path_));
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (int i = 0; i < 7; ++i) {
      const size_t bar = line.find('|', start);
      if (bar == std::string::npos) break;
      fields.push_back(line.substr(start, bar - start));
      start = bar + 1;
    }
    if (fields.size() != 7 || fields[6] != msgid) continue;
    ReceivedSyslog r;
    r.input = fields[0];
    r.facility = std::atoi(fields[1].c_str());
    r.severity = std::atoi(fields[2].c_str());
    r.hostname = fields[3];
    r.app_name = fields[4];
    r.procid = fields[5];
    r.msgid = fields[6];
    r.msg = line.substr(start);  // the body may contain '|'
    out.push_back(std::move(r));
  }
  return out;
}

bool RsyslogServer::wait_for(const std::string& input, const std::string& msgid, size_t count,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t seen = 0;
    for (const ReceivedSyslog& r : received(msgid)) seen += r.input == input;
    if (seen >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::string RsyslogServer::describe() const {
  return process_->describe() + "\nreceived:\n" + read_file(output_path_);
}

}  // namespace procflow_it
