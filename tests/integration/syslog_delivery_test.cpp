// procflow's events through the syslog sink into a real rsyslogd, by all
// three transports (its unix socket, UDP, TCP with octet counting): every
// event arrives once, in order, as the exact JSON line procflow printed, with
// the RFC 5424 header the URI asked for.
//
// The events are real: procflow traces a known exchange, and the lines it
// printed are handed to the sink the way `--output` does (open_sink, a
// SinkQueue), in this process, until the CLI's --output takes the URI.
#include <unistd.h>

#include <memory>

#include "output/sink_queue.h"
#include "output/sink_uri.h"
#include "rsyslog_server.h"
#include "sink_exchange.h"

namespace procflow_it {
namespace {

constexpr int kSyslogUdpPort = 18614;
constexpr int kSyslogTcpPort = 18615;
constexpr int kExchangePort = 18180;

class SyslogDeliveryTest : public SinkExchangeTest {};

// Hands `lines` to the sink `uri` names and waits until it wrote them all.
void deliver(const std::string& uri, const std::vector<std::string>& lines) {
  std::string error;
  auto sink = procflow::open_sink(uri, &error);
  ASSERT_TRUE(sink) << uri << ": " << error;
  procflow::SinkQueue queue(std::move(sink), 1 << 20);
  for (const std::string& line : lines) ASSERT_TRUE(queue.offer(line + "\n"));
  queue.flush();
  ASSERT_TRUE(queue.drain(10s)) << uri;
  EXPECT_EQ(queue.stats().events_written, lines.size()) << uri;
  EXPECT_EQ(queue.stats().events_dropped_by_sink, 0u) << uri;
}

TEST_F(SyslogDeliveryTest, EveryEventArrivesWholeByEachTransport) {
  std::unique_ptr<RsyslogServer> rsyslog;
  try {
    rsyslog = std::make_unique<RsyslogServer>(kSyslogUdpPort, kSyslogTcpPort);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  TracedExchange exchange;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kExchangePort, 3, &exchange));

  const std::string options = "?facility=local3&severity=notice&msgid=";
  const struct {
    std::string input, uri, msgid;
  } transports[] = {
      {"imuxsock", "syslog:" + rsyslog->socket_path() + options + "pf-local", "pf-local"},
      {"imudp", "syslog+udp://127.0.0.1:" + std::to_string(kSyslogUdpPort) + options + "pf-udp",
       "pf-udp"},
      {"imtcp", "syslog+tcp://127.0.0.1:" + std::to_string(kSyslogTcpPort) + options + "pf-tcp",
       "pf-tcp"},
  };
  for (const auto& t : transports) {
    SCOPED_TRACE(t.uri);
    ASSERT_NO_FATAL_FAILURE(deliver(t.uri, exchange.lines));
    ASSERT_TRUE(rsyslog->wait_for(t.input, t.msgid, exchange.lines.size())) << rsyslog->describe();
    const std::vector<ReceivedSyslog> received = rsyslog->received(t.msgid);
    ASSERT_EQ(received.size(), exchange.lines.size()) << rsyslog->describe();
    for (size_t i = 0; i < received.size(); ++i) {
      const ReceivedSyslog& r = received[i];
      EXPECT_EQ(r.input, t.input);
      EXPECT_EQ(r.facility, 19);  // local3
      EXPECT_EQ(r.severity, 5);   // notice
      EXPECT_EQ(r.app_name, "procflow");
      EXPECT_EQ(r.procid, std::to_string(getpid()));
      EXPECT_FALSE(r.hostname.empty());
      EXPECT_EQ(r.msg, exchange.lines[i]) << "message " << i;
      const auto event = JsonLine::parse(r.msg);
      ASSERT_TRUE(event) << r.msg;
      EXPECT_EQ(event->integer("dest_port"), kExchangePort);
    }
  }
}

}  // namespace
}  // namespace procflow_it
