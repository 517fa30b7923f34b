// UDP flows, one per (local socket, peer): a udp_peer client in the namespace
// exchanges datagrams with a udp_peer server in the root namespace, and both
// of their flows must carry the owning process (pid, ppid, exe, image_path,
// uid, user), the exact payload bytes each way and the datagram count, as the
// helpers themselves account for them.
//
// The sizes include a 1400-byte datagram whose 4200-byte reply leaves as
// three IP fragments on the 1500-byte veth: packet_count counts datagrams,
// so it is still one.
//
// An unconnected client socket is never bound, so it sits on the wildcard
// address (as does a server bound to 0.0.0.0) and its flow must omit the
// local IP and community_id, and still carry its port: the port is known and
// is what tells the socket (or the service) apart. A connected one has both
// addresses, and its flow and the server's hash to the same community_id.
// Flows end with "close" when the socket is closed, "timeout" after
// --udp-idle-timeout without datagrams (end_time = the last datagram) and
// "tracer_stop" at shutdown.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "flow_assertions.h"
#include "integration_test.h"

namespace procflow_it {
namespace {

// Three datagrams each way; the server answers each with three times its size.
constexpr const char* kSizes = "10,200,1400";
constexpr int64_t kSizesSum = 10 + 200 + 1400;
constexpr int kDatagrams = 3;
constexpr int kReplyFactor = 3;

// Start times are the first datagram's: the helper reads the clock just
// before sending it (client) or just after receiving it (server).
constexpr int64_t kStartSlackUs = 100'000;

int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

bool is_wildcard(const std::string& ip) {
  return ip == "0.0.0.0" || ip == "::";
}

enum class Socket { unconnected, connected };

class UdpFlowTest : public IntegrationTest {
 protected:
  struct Exchange {
    std::string server_ip;         // where the client sends to
    std::string client_ip;         // the address the namespace sends from
    std::string server_bind = {};  // what the server binds to, if not server_ip
    Socket socket = Socket::unconnected;
    RunAs who = RunAs::root;
    std::string sizes = kSizes;
    std::vector<std::string> client_options = {};
  };

  // `udp_peer client` argv: one socket to each of `ports` on `server_ip`.
  static std::vector<std::string> client_argv(const std::string& server_ip,
                                              const std::vector<int>& ports, Socket socket,
                                              const std::string& sizes,
                                              std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {helper_path(Helper::udp_peer), "client"};
    for (int port : ports) {
      argv.push_back(server_ip);
      argv.push_back(std::to_string(port));
    }
    argv.insert(argv.end(), {"--sizes", sizes});
    if (socket == Socket::connected) argv.push_back("--connected");
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Finds the client's flow to one peer. Without src_port: whether procflow
  // reports it is checked by expect_flow (client_endpoints), not assumed here.
  static FlowSelector client_finder(const UdpPeerTruth& client) {
    return FlowSelector{.dest_ip = client.peer,
                        .dest_port = client.peer_port,
                        .initiated = true,
                        .pid = client.pid,
                        .transport = "UDP"};
  }
  // What the client's flow must say: the client is the initiator (src).
  static FlowSelector client_endpoints(const UdpPeerTruth& client, const std::string& client_ip,
                                       Socket socket) {
    FlowSelector s = client_finder(client);
    s.pid.reset();
    if (socket == Socket::connected) s.src_ip = client_ip;
    s.src_port = client.local_port;
    return s;
  }
  // Finds the server's flow with one client (src is still the client),
  // without dest_ip/dest_port for the same reason.
  static FlowSelector server_finder(const UdpPeerTruth& server) {
    return FlowSelector{.src_ip = server.peer,
                        .src_port = server.peer_port,
                        .initiated = false,
                        .pid = server.pid,
                        .transport = "UDP"};
  }
  // What it must say: the client sent to server_ip (omitted from the flow
  // when the server's socket is on the wildcard address).
  static FlowSelector server_endpoints(const UdpPeerTruth& server, const std::string& server_ip) {
    FlowSelector s = server_finder(server);
    s.pid.reset();
    s.dest_ip = server_ip;
    s.dest_port = server.local_port;
    return s;
  }

  // Exact bytes and datagrams of one side's account with one peer.
  static ExpectedFlow expected_flow(const UdpPeerTruth& truth, ExpectedProcess process,
                                    const std::string& end_reason, LocalAddress local) {
    ExpectedFlow e;
    e.process = std::move(process);
    e.in_bytes = truth.received;
    e.out_bytes = truth.sent;
    e.packet_count = truth.datagrams_sent + truth.datagrams_received;
    e.end_reason = end_reason;
    e.local_address = local;
    return e;
  }

  static void expect_started_at_first_datagram(const Flow& flow, const UdpPeerTruth& truth) {
    if (!flow.start()) return;  // expect_flow reports it
    auto start = parse_rfc3339_us(flow.start()->str("start_time").value_or(""));
    ASSERT_TRUE(start) << flow.start()->raw();
    EXPECT_NEAR(static_cast<double>(*start), static_cast<double>(truth.first_us), kStartSlackUs)
        << "start_time should be the first datagram's (µs since the epoch): "
        << flow.start()->raw();
  }

  // Number of UDP flows procflow started for `pid`.
  size_t udp_flows_of(int64_t pid) {
    return count_events(procflow().events(), FlowSelector{.pid = pid, .transport = "UDP"}, "start");
  }

  // The client in the namespace sends to one server in the root namespace,
  // both close; checks both flows completely.
  void exchange_and_check(const Exchange& x) {
    const std::string bind = x.server_bind.empty() ? x.server_ip : x.server_bind;
    UdpServer* server = start_udp_server(bind, kUdpPort, kDatagrams, kReplyFactor);
    ASSERT_NE(server, nullptr);
    SpawnedProcess& client =
        run_in_ns(client_argv(x.server_ip, {kUdpPort}, x.socket, x.sizes, x.client_options), x.who);
    std::string error;
    auto truths = udp_peer_truths(client, &error);
    ASSERT_TRUE(client.status() && client.status()->success() && truths.size() == 1)
        << error << "\n"
        << client.describe();
    const UdpPeerTruth& mine = truths.front();
    ASSERT_EQ(mine.pid, client.pid()) << "ip netns exec/setpriv must exec, not fork";
    ASSERT_EQ(mine.datagrams_sent, kDatagrams);
    ASSERT_EQ(mine.datagrams_received, kDatagrams);
    if (x.socket == Socket::connected) {
      ASSERT_TRUE(same_ip(mine.local_ip, x.client_ip)) << client.describe();
    } else {
      ASSERT_TRUE(is_wildcard(mine.local_ip)) << "never bound, so on the wildcard address";
    }
    auto theirs = server->wait_for_peer(mine.local_port);
    ASSERT_TRUE(theirs) << "the server has no account of port " << mine.local_port;
    ASSERT_TRUE(same_ip(theirs->peer, x.client_ip)) << server->process().describe();
    ASSERT_EQ(theirs->received, mine.sent);
    ASSERT_EQ(theirs->sent, mine.received);

    const LocalAddress client_local =
        x.socket == Socket::connected ? LocalAddress::known : LocalAddress::wildcard;
    const LocalAddress server_local =
        is_wildcard(bind) ? LocalAddress::wildcard : LocalAddress::known;
    FlowSelector client_find = client_finder(mine);
    FlowSelector server_find = server_finder(*theirs);
    ASSERT_TRUE(wait_for_ends({client_find, server_find}));
    auto events = procflow().events();

    Flow client_events = collect_flow(events, client_find);
    expect_flow(client_events, client_endpoints(mine, x.client_ip, x.socket),
                expected_flow(mine, expected_process(Helper::udp_peer, mine.pid, getpid(), x.who),
                              "close", client_local));
    expect_started_at_first_datagram(client_events, mine);

    Flow server_events = collect_flow(events, server_find);
    expect_flow(server_events, server_endpoints(*theirs, x.server_ip),
                expected_flow(*theirs, expected_process(Helper::udp_peer, server->pid(), getpid()),
                              "close", server_local));
    expect_started_at_first_datagram(server_events, *theirs);

    if (client_local == LocalAddress::known && server_local == LocalAddress::known &&
        client_events.end() && server_events.end()) {
      EXPECT_EQ(client_events.end()->str("community_id"), server_events.end()->str("community_id"))
          << "both sockets of one exchange hash to one Community ID";
    }
    EXPECT_EQ(udp_flows_of(mine.pid), 1u) << "one socket, one peer: one flow\n" << dump(events);
    EXPECT_EQ(udp_flows_of(theirs->pid), 1u) << "the server's socket talked to one peer: one flow\n"
                                             << dump(events);
  }
};

TEST_F(UdpFlowTest, UnconnectedClientAndServerIpv4) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip4(), .client_ip = topo().ns_ip4()});
}

TEST_F(UdpFlowTest, ConnectedClientAndServerShareCommunityIdIpv4) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check(
      {.server_ip = topo().host_ip4(), .client_ip = topo().ns_ip4(), .socket = Socket::connected});
}

TEST_F(UdpFlowTest, UnconnectedClientAndServerIpv6) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip6(), .client_ip = topo().ns_ip6()});
}

TEST_F(UdpFlowTest, ConnectedClientAndServerShareCommunityIdIpv6) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check(
      {.server_ip = topo().host_ip6(), .client_ip = topo().ns_ip6(), .socket = Socket::connected});
}

// A server bound to the wildcard address (as most are) has no single local
// address either: its flow omits dest_ip and community_id, keeps dest_port.
TEST_F(UdpFlowTest, ServerOnTheWildcardAddress) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip4(),
                      .client_ip = topo().ns_ip4(),
                      .server_bind = "0.0.0.0",
                      .socket = Socket::connected});
}

// A dual-stack server ([::] without IPV6_V6ONLY) answering an IPv4 client:
// the kernel names the same peer ::ffff:a.b.c.d on receive and a.b.c.d on
// send. It is one conversation, so one flow per side, reported as IPv4 with
// the request and the reply in the same flow.
TEST_F(UdpFlowTest, DualStackServerAndIpv4ClientMakeOneFlowPerSide) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip4(),
                      .client_ip = topo().ns_ip4(),
                      .server_bind = "::",
                      .socket = Socket::connected});
}

// setpriv drops the client to nobody: its flow must say so; the server is root.
TEST_F(UdpFlowTest, ClientRunAsNobody) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip4(),
                      .client_ip = topo().ns_ip4(),
                      .socket = Socket::connected,
                      .who = RunAs::nobody});
}

// A zero-length datagram is a datagram: it counts in packet_count, and as the
// first datagram it starts the flow (the next one follows 300 ms later, so a
// start at the second would be noticed). The server answers it with another
// empty one (0 * 3 bytes).
TEST_F(UdpFlowTest, ZeroLengthDatagramsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check({.server_ip = topo().host_ip4(),
                      .client_ip = topo().ns_ip4(),
                      .socket = Socket::connected,
                      .sizes = "0,200,0",
                      .client_options = {"--gap-ms", "300"}});
}

// One unconnected socket, two servers: two flows of the client (one per
// peer, same local port), each with only its own peer's bytes.
TEST_F(UdpFlowTest, OneUnconnectedSocketTwoPeersTwoFlows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  UdpServer* first = start_udp_server(server_ip, kUdpPort, kDatagrams, kReplyFactor);
  UdpServer* second = start_udp_server(server_ip, kOtherUdpPort, kDatagrams, kReplyFactor);
  ASSERT_TRUE(first && second);

  SpawnedProcess& client =
      run_in_ns(client_argv(server_ip, {kUdpPort, kOtherUdpPort}, Socket::unconnected, kSizes));
  auto truths = udp_peer_truths(client);
  ASSERT_TRUE(client.status() && client.status()->success() && truths.size() == 2)
      << client.describe();
  ASSERT_EQ(truths[0].local_port, truths[1].local_port) << "one socket";
  ASSERT_EQ(truths[0].sent, kSizesSum);
  ASSERT_EQ(truths[1].sent, kSizesSum);

  std::vector<FlowSelector> selectors;
  std::vector<std::pair<UdpPeerTruth, UdpServer*>> exchanges;
  for (const auto& mine : truths) {
    UdpServer* server = mine.peer_port == kUdpPort ? first : second;
    auto theirs = server->wait_for_peer(mine.local_port);
    ASSERT_TRUE(theirs) << "server on " << mine.peer_port << " has no account of the client";
    selectors.push_back(client_finder(mine));
    selectors.push_back(server_finder(*theirs));
    exchanges.emplace_back(mine, server);
  }
  ASSERT_TRUE(wait_for_ends(selectors));
  auto events = procflow().events();

  for (const auto& [mine, server] : exchanges) {
    SCOPED_TRACE("peer port " + std::to_string(mine.peer_port));
    expect_flow(collect_flow(events, client_finder(mine)),
                client_endpoints(mine, topo().ns_ip4(), Socket::unconnected),
                expected_flow(mine, expected_process(Helper::udp_peer, mine.pid, getpid()), "close",
                              LocalAddress::wildcard));
    auto theirs = server->wait_for_peer(mine.local_port);
    expect_flow(collect_flow(events, server_finder(*theirs)), server_endpoints(*theirs, server_ip),
                expected_flow(*theirs, expected_process(Helper::udp_peer, server->pid(), getpid()),
                              "close", LocalAddress::known));
  }
  EXPECT_EQ(udp_flows_of(client.pid()), 2u) << "one flow per peer\n" << dump(events);
}

// The client exchanges its datagrams 400 ms apart, then keeps its socket open
// without traffic. After --udp-idle-timeout 2 the flow must end on its own,
// with end_reason "timeout" and end_time = its last datagram (not the first,
// 800 ms earlier, nor the moment the timeout was noticed). When the socket is
// finally closed, the flow has already ended: no second end.
TEST_F(UdpFlowTest, IdleFlowEndsWithTimeoutAtItsLastDatagram) {
  constexpr int64_t kIdleTimeoutUs = 2'000'000;
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--udp-idle-timeout", "2"}));
  const std::string server_ip = topo().host_ip4();
  UdpServer* server = start_udp_server(server_ip, kUdpPort, kDatagrams, kReplyFactor);
  ASSERT_NE(server, nullptr);

  SpawnedProcess& client = spawn_in_ns(client_argv(server_ip, {kUdpPort}, Socket::connected, kSizes,
                                                   {"--gap-ms", "400", "--hold-ms", "30000"}));
  auto truths = wait_udp_peer_truths(client, 1);
  ASSERT_EQ(truths.size(), 1u) << client.describe();
  const UdpPeerTruth mine = truths.front();
  ASSERT_EQ(mine.datagrams_received, kDatagrams) << client.describe();
  auto theirs = server->wait_for_peer(mine.local_port);
  ASSERT_TRUE(theirs);

  FlowSelector client_find = client_finder(mine);
  // Idle timeout + one sweep interval (1 s) + slack.
  ASSERT_TRUE(wait_for_ends({client_find}, 5s));
  const int64_t seen_us = realtime_us();
  ASSERT_FALSE(client.wait(0ms)) << "the client must still hold its socket open";
  EXPECT_GE(seen_us - mine.last_us, kIdleTimeoutUs - 100'000)
      << "the flow ended before it had been idle for 2 s";

  auto events = procflow().events();
  Flow flow = collect_flow(events, client_find);
  expect_flow(flow, client_endpoints(mine, topo().ns_ip4(), Socket::connected),
              expected_flow(mine, expected_process(Helper::udp_peer, mine.pid, getpid()), "timeout",
                            LocalAddress::known));
  if (flow.end()) {
    auto end_time = parse_rfc3339_us(flow.end()->str("end_time").value_or(""));
    ASSERT_TRUE(end_time) << flow.end()->raw();
    // The kernel stamps the last reply inside recv(); the helper reads the
    // clock just after recv() returned, so end_time is at or just before it.
    EXPECT_LE(*end_time, mine.last_us + 20'000) << flow.end()->raw();
    EXPECT_GE(*end_time, mine.last_us - 100'000)
        << "end_time is not the last datagram (the one before was >= 400 ms earlier): "
        << flow.end()->raw();
  }
  // The server closed its socket after its three datagrams.
  expect_flow(collect_flow(events, server_finder(*theirs)), server_endpoints(*theirs, server_ip),
              expected_flow(*theirs, expected_process(Helper::udp_peer, server->pid(), getpid()),
                            "close", LocalAddress::known));

  client.signal(SIGTERM);  // closes the socket: the flow is over already
  ASSERT_TRUE(client.wait(5s));
  EXPECT_FALSE(procflow().wait_for(
      [&](const std::vector<JsonLine>& all) {
        return count_events(all, client_find, "end") > 1 ||
               count_events(all, client_find, "start") > 1;
      },
      2s))
      << "closing the socket of a flow that timed out must not end (or start) it again:\n"
      << dump(procflow().events());
}

// A socket still open when procflow stops: its flow ends with "tracer_stop",
// its exact counts so far, and end_time = when procflow stopped.
TEST_F(UdpFlowTest, StopEndsOpenFlowWithTracerStop) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  const std::string server_ip = topo().host_ip4();
  UdpServer* server = start_udp_server(server_ip, kUdpPort, kDatagrams, kReplyFactor);
  ASSERT_NE(server, nullptr);
  SpawnedProcess& client = spawn_in_ns(
      client_argv(server_ip, {kUdpPort}, Socket::connected, kSizes, {"--hold-ms", "60000"}));
  auto truths = wait_udp_peer_truths(client, 1);
  ASSERT_EQ(truths.size(), 1u) << client.describe();
  const UdpPeerTruth mine = truths.front();
  auto theirs = server->wait_for_peer(mine.local_port);
  ASSERT_TRUE(theirs);

  FlowSelector client_find = client_finder(mine);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) { return count_events(events, client_find, "start") > 0; },
      "the client flow's start"));
  ASSERT_TRUE(wait_for_ends({server_finder(*theirs)}));
  ASSERT_EQ(count_events(procflow().events(), client_find, "end"), 0u)
      << "the client's socket is still open";
  ASSERT_FALSE(client.wait(0ms)) << "the client should still hold its socket";

  const int64_t before_stop_us = realtime_us();
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  const int64_t after_stop_us = realtime_us();
  Flow flow = collect_flow(procflow().events(), client_find);
  expect_flow(flow, client_endpoints(mine, topo().ns_ip4(), Socket::connected),
              expected_flow(mine, expected_process(Helper::udp_peer, mine.pid, getpid()),
                            "tracer_stop", LocalAddress::known));
  if (flow.end()) {
    auto end_time = parse_rfc3339_us(flow.end()->str("end_time").value_or(""));
    ASSERT_TRUE(end_time) << flow.end()->raw();
    EXPECT_GE(*end_time, before_stop_us) << flow.end()->raw();
    EXPECT_LE(*end_time, after_stop_us) << flow.end()->raw();
  }
}

// One datagram and silence: the flow starts and ends at that datagram. Its
// end (the last datagram's time, stamped in the kernel) must never come out
// before its start (the first datagram's time): the two are one moment.
TEST_F(UdpFlowTest, SingleDatagramFlowNeverEndsBeforeItStarts) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--udp-idle-timeout", "1"}));
  // Nothing listens on the port: the datagram is sent, nothing comes back,
  // and the socket stays open so only the idle timeout can end the flow.
  SpawnedProcess& sender = spawn_in_ns(
      {"python3", "-c",
       "import socket,time,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); "
       "s.sendto(b'x'*7,(sys.argv[1],int(sys.argv[2]))); print(s.getsockname()[1],flush=True); "
       "time.sleep(6)",
       topo().host_ip4(), std::to_string(kClosedPort)});
  FlowSelector find{.dest_ip = topo().host_ip4(),
                    .dest_port = kClosedPort,
                    .initiated = true,
                    .pid = sender.pid(),
                    .transport = "UDP"};
  ASSERT_TRUE(wait_for_ends({find}, 5s)) << sender.describe();
  Flow flow = collect_flow(procflow().events(), find);
  ASSERT_TRUE(flow.start() && flow.end()) << dump(procflow().events());
  const JsonLine& end = *flow.end();
  EXPECT_EQ(end.str("end_reason"), std::optional<std::string>("timeout")) << end.raw();
  EXPECT_EQ(end.integer("packet_count"), 1) << end.raw();
  EXPECT_EQ(end.integer("out_bytes"), 7) << end.raw();
  auto start_us = parse_rfc3339_us(end.str("start_time").value_or(""));
  auto end_us = parse_rfc3339_us(end.str("end_time").value_or(""));
  ASSERT_TRUE(start_us && end_us) << end.raw();
  EXPECT_EQ(*end_us, *start_us) << "one datagram: the flow starts and ends at it\n" << end.raw();
  EXPECT_EQ(flow.start()->str("start_time"), end.str("start_time"));
}

}  // namespace
}  // namespace procflow_it
