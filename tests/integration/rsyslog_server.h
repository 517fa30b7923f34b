// A real rsyslogd of the test's own: its config, unix socket, spool and
// output file in a scratch directory; imuxsock on that socket, imudp and
// imtcp on 127.0.0.1. Every message it receives is written to one file as
// `INPUT|FACILITY|SEVERITY|HOSTNAME|APP-NAME|PROCID|MSGID|MSG`, so a test can
// check what arrived by which transport, header and body. Stopped (SIGTERM,
// then killed with its process group) when the object goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "spawned_process.h"

namespace procflow_it {

// One received message, split into the fields of the output template.
struct ReceivedSyslog {
  std::string input;  // imuxsock, imudp, imtcp
  int facility = -1;
  int severity = -1;
  std::string hostname, app_name, procid, msgid, msg;
};

class RsyslogServer {
 public:
  // Starts rsyslogd and waits until each of its three inputs delivered a probe
  // message; throws std::runtime_error (with its output) when it does not come up.
  RsyslogServer(int udp_port, int tcp_port);
  ~RsyslogServer();
  RsyslogServer(const RsyslogServer&) = delete;
  RsyslogServer& operator=(const RsyslogServer&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  int udp_port() const { return udp_port_; }
  int tcp_port() const { return tcp_port_; }

  // Every message received so far with MSGID `msgid`, in the order written.
  std::vector<ReceivedSyslog> received(const std::string& msgid) const;
  // Waits until `count` messages of `input` with `msgid` arrived; false on timeout.
  bool wait_for(const std::string& input, const std::string& msgid, size_t count,
                std::chrono::milliseconds timeout = 10s) const;
  std::string describe() const;

 private:
  ScratchDir dir_;
  std::string socket_path_, output_path_, pid_path_;
  int udp_port_, tcp_port_;
  std::unique_ptr<SpawnedProcess> process_;
};

}  // namespace procflow_it
