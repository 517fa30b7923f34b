// Events to syslog, one RFC 5424 message per event (syslog_message.h), over
// one of three transports:
//   local  the host's syslog socket (/dev/log by default): a unix datagram
//          socket, or a unix stream socket (each message NUL-terminated, as
//          glibc's syslog(3) does) when the daemon listens on a stream;
//   udp    one datagram per message;
//   tcp    RFC 6587 octet counting (`LEN SP MSG`), one connection, made
//          again after a failure with exponential backoff (0.1 s doubling
//          to 10 s).
// Syslog loses messages by design (datagrams, a daemon restarting): a
// message that cannot be sent, or is made while the TCP connection is down
// and waiting for its next attempt, is dropped and counted
// (events_dropped()), never retried, never waited for beyond the socket's
// 5 s send timeout. The sink never breaks for good.
//
// Not thread-safe: its SinkQueue's thread is its only user.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output/sink.h"
#include "output/syslog_message.h"

namespace procflow {

enum class SyslogTransport { local, udp, tcp };

struct SyslogTarget {
  SyslogTransport transport = SyslogTransport::local;
  std::string socket_path = "/dev/log";  // local
  std::string host;                      // udp, tcp
  uint16_t port = 514;
};

class SyslogSink : public Sink {
 public:
  // `header.hostname` and `header.procid` are filled in (gethostname, getpid)
  // when empty. Connecting happens on the first write, so a daemon that is
  // not up yet is not an error here.
  SyslogSink(SyslogTarget target, SyslogHeader header);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  void write(std::string_view lines) override;
  void flush() override {}  // every message is sent by write()
  bool broken() const override { return false; }
  int last_error() const override { return 0; }
  uint64_t bytes_written() const override { return bytes_written_; }
  uint64_t events_dropped() const override { return dropped_; }

  // The errno of the last failed send or connect, 0 if none yet (for logs and tests).
  int last_send_error() const { return last_send_error_; }

 private:
  bool connected();  // connects if needed and allowed by the backoff
  void disconnect(int error);
  // Sends `frames` (the messages of one batch, framed for the transport;
  // `ends[i]` is where message i ends) and counts what did not go out.
  void send_stream(const std::string& frames, const std::vector<size_t>& ends);
  void send_datagram(std::string_view message);

  SyslogTarget target_;
  SyslogHeader header_;
  int fd_ = -1;
  bool stream_ = false;  // the connected socket is a stream (tcp, or a local stream socket)
  Clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  int last_send_error_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace procflow
