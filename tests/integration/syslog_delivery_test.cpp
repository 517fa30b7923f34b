// procflow's events into a real rsyslogd through `procflow trace --output`,
// by all three syslog transports at once (its unix socket, UDP, TCP with
// octet counting): every event of a traced exchange arrives once, in order,
// as the exact JSON line procflow printed on stdout, with the RFC 5424 header
// the URI asked for.
#include <memory>
#include <thread>

#include "rsyslog_server.h"
#include "sink_exchange.h"

namespace procflow_it {
namespace {

constexpr int kSyslogUdpPort = 18614;
constexpr int kSyslogTcpPort = 18615;
constexpr int kExchangePort = 18180;

class SyslogDeliveryTest : public SinkExchangeTest {};

// The received messages of `input` whose event is about `ip`:`port`.
std::vector<ReceivedSyslog> received_for_port(const RsyslogServer& rsyslog,
                                              const std::string& input, const std::string& msgid,
                                              const std::string& ip, int port) {
  std::vector<ReceivedSyslog> out;
  for (ReceivedSyslog& r : rsyslog.received(msgid)) {
    const auto event = JsonLine::parse(r.msg);
    if (r.input == input && event && event->integer("dest_port") == port &&
        event->str("dest_ip") == ip)
      out.push_back(std::move(r));
  }
  return out;
}

TEST_F(SyslogDeliveryTest, EveryEventArrivesWholeByEachTransport) {
  std::unique_ptr<RsyslogServer> rsyslog;
  try {
    rsyslog = std::make_unique<RsyslogServer>(kSyslogUdpPort, kSyslogTcpPort);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
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
  std::vector<std::string> args = {"--output", "-"};  // stdout too: the reference
  for (const auto& t : transports) {
    args.push_back("--output");
    args.push_back(t.uri);
  }
  ASSERT_NO_FATAL_FAILURE(start_procflow(args));
  TracedExchange exchange;
  ASSERT_NO_FATAL_FAILURE(traced_exchange(kExchangePort, 3, &exchange));

  for (const auto& t : transports) {
    SCOPED_TRACE(t.uri);
    std::vector<ReceivedSyslog> received;
    for (auto start = std::chrono::steady_clock::now();
         std::chrono::steady_clock::now() - start < 10s; std::this_thread::sleep_for(50ms)) {
      received = received_for_port(*rsyslog, t.input, t.msgid, exchange.server_ip, kExchangePort);
      if (received.size() >= exchange.lines.size()) break;
    }
    ASSERT_EQ(received.size(), exchange.lines.size()) << rsyslog->describe();
    for (size_t i = 0; i < received.size(); ++i) {
      const ReceivedSyslog& r = received[i];
      EXPECT_EQ(r.facility, 19);  // local3
      EXPECT_EQ(r.severity, 5);   // notice
      EXPECT_EQ(r.app_name, "procflow");
      EXPECT_EQ(r.procid, std::to_string(procflow().pid()));
      EXPECT_FALSE(r.hostname.empty());
      EXPECT_EQ(r.msg, exchange.lines[i]) << "message " << i;
    }
  }
  stop_procflow();
}

}  // namespace
}  // namespace procflow_it
