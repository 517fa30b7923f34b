// Per-connection packet counts, flags and end reasons against a capture of
// the traced interface, where the old per-tuple TC counters went wrong:
//
//   - a 4-tuple used by connection after connection (a client bound to one
//     port; the server's TIME_WAIT takes each new SYN), and a client that
//     takes over its own TIME_WAIT (tcp_tw_reuse): every connection's two
//     flows count exactly the packets of its own tcp.stream in the capture
//     and carry exactly its flags;
//   - an RST storm on reused tuples: as many `reset` ends per side as
//     connections with an RST on the wire, the same connections, exact counts;
//   - GSO: TC counts a super-packet as its segments, like the socket's own
//     counters (a second procflow without TC), while a capture shows it as
//     one frame; without offloads, counts equal the capture;
//   - a tun device (no link-layer header; addresses whose bytes 4-5 are
//     0x86dd): TC parses from the network header, so the flags include PSH,
//     which only TC can see, and the count equals a capture of the tun;
//   - the same tun with TSO, as a VM's tap: super-packets that arrive with
//     gso_segs 0 count as their segments too.
//
// tshark splits a reused 4-tuple into one tcp.stream per connection (a SYN
// with a new sequence number starts a new one); procflow's flows of one
// tuple are told apart by their start_time. Both are taken in order.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"
#include "tun_link.h"

namespace procflow_it {
namespace {

constexpr int kClientPort = 43210;  // port_reuse_client's first fixed local port
constexpr int kRounds = 3;          // echoed round trips per connection
constexpr int kRoundBytes = 200;    // one small write (TCP_NODELAY): one PSH segment
constexpr int kEchoBytes = kRounds * kRoundBytes;
constexpr int kReplyBytes = 300;  // the server's last write before its close

// A connection as the helper, the capture and procflow (both sides) saw it.
struct ConnectionView {
  const ReuseConnectionTruth* truth = nullptr;
  const CapturedConnection* wire = nullptr;
  const Flow* client = nullptr;
  const Flow* server = nullptr;
};

class WireTruthTest : public IntegrationTest {
 protected:
  // `port_reuse_client SERVER_IP kServerPort kClientPort CONNECTIONS args...`
  // in the namespace, to completion (up to `timeout`); its lines, one per
  // connection, each without error (else a failure).
  std::vector<ReuseConnectionTruth> run_reuse_client(int connections, std::vector<std::string> args,
                                                     std::chrono::milliseconds timeout = 15s) {
    std::vector<std::string> argv = {helper_path(Helper::port_reuse_client), topo().host_ip4(),
                                     std::to_string(kServerPort), std::to_string(kClientPort),
                                     std::to_string(connections)};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnedProcess& client = spawn_in_ns(argv);
    auto status = client.wait(timeout);
    EXPECT_TRUE(status && status->success()) << client.describe();
    auto truths = reuse_client_truths(client);
    EXPECT_EQ(truths.size(), static_cast<size_t>(connections)) << client.describe();
    for (const auto& truth : truths) EXPECT_EQ(truth.error, "") << client.describe();
    return truths;
  }

  FlowSelector client_flow(int64_t port) {
    return client_side(topo().ns_ip4(), port, topo().host_ip4(), kServerPort);
  }
  FlowSelector server_flow(int64_t port) {
    return server_side(topo().ns_ip4(), port, topo().host_ip4(), kServerPort);
  }

  // Waits until both sides of every port in `ports` have `per_port` end events.
  bool wait_for_connection_ends(const std::vector<int64_t>& ports, size_t per_port,
                                std::chrono::milliseconds timeout) {
    std::vector<FlowSelector> selectors;
    for (int64_t port : ports) {
      selectors.push_back(client_flow(port));
      selectors.push_back(server_flow(port));
    }
    auto all_ended = [&](const std::vector<JsonLine>& events) {
      for (const auto& s : selectors) {
        if (count_events(events, s, "end") < per_port) return false;
      }
      return true;
    };
    std::string what = std::to_string(per_port) + " end events on each side of ports";
    for (int64_t port : ports) what += " " + std::to_string(port);
    return wait_for_events(all_ended, what, timeout);
  }

  // The capture's streams between the namespace's ports in `ports` and the
  // server, grouped by client port, each in order.
  std::map<int64_t, std::vector<CapturedConnection>> streams_by_port(
      const PacketCapture& capture, const std::vector<int64_t>& ports) {
    std::map<int64_t, std::vector<CapturedConnection>> out;
    std::string error;
    auto all = capture.streams(&error);
    EXPECT_TRUE(all) << error;
    if (!all) return out;
    for (int64_t port : ports) out[port];
    for (auto& c : *all) {
      if (!same_ip(c.src_ip, topo().ns_ip4()) || !same_ip(c.dest_ip, topo().host_ip4()) ||
          c.dest_port != kServerPort || !out.count(c.src_port)) {
        continue;
      }
      out[c.src_port].push_back(std::move(c));
    }
    return out;
  }
};

// The ways one side's flow can disagree with its connection in the capture
// ("" when it agrees): one start and one end, packet_count, tcp_flags, and
// end_reason `reset` exactly when the capture holds an RST, else `close`.
std::string disagreement(const Flow& flow, const CapturedConnection& wire) {
  std::ostringstream out;
  if (flow.starts.size() != 1 || flow.ends.size() != 1) {
    out << flow.starts.size() << " start and " << flow.ends.size() << " end events; ";
  }
  const JsonLine* end = flow.end();
  if (!end) return out.str() + "no end event";
  if (end->integer("packet_count") != std::optional<int64_t>(wire.packets)) {
    out << "packet_count " << end->integer("packet_count").value_or(-1) << " (capture "
        << wire.packets << "); ";
  }
  if (split_flags(end->str("tcp_flags").value_or("")) != wire.flags) {
    std::string seen;
    for (const auto& flag : wire.flags) seen += (seen.empty() ? "" : ", ") + flag;
    out << "tcp_flags \"" << end->str("tcp_flags").value_or("") << "\" (capture \"" << seen
        << "\"); ";
  }
  const std::string want = wire.has("RST") ? "reset" : "close";
  if (end->str("end_reason") != want) {
    out << "end_reason " << end->str("end_reason").value_or("(missing)") << " (want " << want
        << "); ";
  }
  std::string text = out.str();
  return text.empty() ? text : text + "\n      " + end->raw();
}

// Checks connection after connection of one 4-tuple: the capture must hold
// one stream per connection the helper made, and each connection's two flows
// must agree with its stream exactly (one EXPECT per disagreement, so a
// failure names the connection, what differs and all of its frames).
void expect_connections_match(const std::vector<ReuseConnectionTruth>& truths,
                              const std::vector<CapturedConnection>& wire,
                              const std::vector<Flow>& client, const std::vector<Flow>& server) {
  ASSERT_EQ(wire.size(), truths.size()) << "the capture has another number of connections";
  EXPECT_EQ(client.size(), truths.size()) << "client flows on the tuple";
  EXPECT_EQ(server.size(), truths.size()) << "server flows on the tuple";
  for (size_t i = 0; i < truths.size(); ++i) {
    SCOPED_TRACE("connection " + std::to_string(i) + ": " + wire[i].describe());
    EXPECT_TRUE(wire[i].opened_by_syn());
    EXPECT_TRUE(wire[i].has("PSH")) << "the exchange has data: PSH must be on the wire";
    EXPECT_EQ(wire[i].has("RST"), truths[i].aborted) << "an RST exactly where the helper aborted";
    if (i < client.size()) {
      std::string wrong = disagreement(client[i], wire[i]);
      EXPECT_TRUE(wrong.empty()) << "client flow: " << wrong;
      if (const JsonLine* end = client[i].end()) {
        EXPECT_EQ(end->integer("out_bytes"), std::optional<int64_t>(truths[i].sent)) << end->raw();
        EXPECT_EQ(end->integer("in_bytes"), std::optional<int64_t>(truths[i].received))
            << end->raw();
      }
    }
    if (i < server.size()) {
      std::string wrong = disagreement(server[i], wire[i]);
      EXPECT_TRUE(wrong.empty()) << "server flow: " << wrong;
    }
  }
}

// TcpExt TWRecycled of the namespace (/proc/net/netstat is per namespace):
// how many connects took over a TIME_WAIT of their own tuple.
std::optional<int64_t> tw_recycled(const Topology& topo) {
  CommandResult result = run_command(topo.in_ns({"cat", "/proc/net/netstat"}));
  if (!result.ok()) return std::nullopt;
  std::istringstream lines(result.out);
  std::string names, values;
  while (std::getline(lines, names) && std::getline(lines, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value) {
      if (name == "TWRecycled") return std::stoll(value);
    }
  }
  return std::nullopt;
}

// 1. One client port, 6 connections 0.3 s apart (the old counters mixed
// everything within 2 s of the last packet). The server closes first, so the
// TIME_WAIT is the server's and takes each new SYN on the same tuple.
TEST_F(WireTruthTest, PortReuseCountsEachConnectionOnItsOwn) {
  constexpr int kConnections = 6;
  ASSERT_NO_THROW(topo().set_offloads(false));
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, kReplyBytes, ServerMode::echo_close,
                         Where::root_namespace, kEchoBytes),
            nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  auto truths = run_reuse_client(
      kConnections, {"--gap-ms", "300", "--rounds", std::to_string(kRounds), "--round-bytes",
                     std::to_string(kRoundBytes), "--server-closes"});
  ASSERT_FALSE(HasFailure());
  for (const auto& truth : truths) {
    ASSERT_EQ(truth.local_port, kClientPort);
    ASSERT_EQ(truth.sent, kEchoBytes);
    ASSERT_EQ(truth.received, kEchoBytes + kReplyBytes);
  }
  ASSERT_TRUE(wait_for_connection_ends({kClientPort}, kConnections, 15s));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  auto wire = streams_by_port(capture, {kClientPort})[kClientPort];
  for (const auto& c : wire) {
    EXPECT_FALSE(c.src_closed_first()) << "the server must close first:\n" << c.describe();
  }
  auto events = procflow().events();
  expect_connections_match(truths, wire, collect_flows_by_start(events, client_flow(kClientPort)),
                           collect_flows_by_start(events, server_flow(kClientPort)));
}

// 2. The client closes first (its socket goes to TIME_WAIT) and reconnects
// from the same port 20 ms later, taking over its own TIME_WAIT: the
// namespace allows it (tcp_tw_reuse 1, and tcp_tw_reuse_delay 1 ms on 6.13+;
// before that the reuse waits for the next second), and TWRecycled proves
// every reconnect did.
TEST_F(WireTruthTest, TimeWaitReuseCountsEachConnectionOnItsOwn) {
  constexpr int kConnections = 6;
  ASSERT_NO_THROW(topo().set_offloads(false));
  ASSERT_NO_THROW(topo().set_ns_sysctl("net.ipv4.tcp_tw_reuse", "1"));
  std::string gap_ms = "1100";
  if (std::filesystem::exists("/proc/sys/net/ipv4/tcp_tw_reuse_delay")) {
    ASSERT_NO_THROW(topo().set_ns_sysctl("net.ipv4.tcp_tw_reuse_delay", "1"));
    gap_ms = "20";
  }
  auto recycled_before = tw_recycled(topo());
  ASSERT_TRUE(recycled_before) << "no TcpExt TWRecycled in the namespace's /proc/net/netstat";
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, kReplyBytes, ServerMode::echo),
            nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  auto truths =
      run_reuse_client(kConnections, {"--gap-ms", gap_ms, "--rounds", std::to_string(kRounds),
                                      "--round-bytes", std::to_string(kRoundBytes)});
  ASSERT_FALSE(HasFailure());
  for (const auto& truth : truths) {
    ASSERT_EQ(truth.local_port, kClientPort);
    ASSERT_EQ(truth.sent, kEchoBytes);
    ASSERT_EQ(truth.received, kEchoBytes + kReplyBytes);
  }
  EXPECT_EQ(tw_recycled(topo()), *recycled_before + kConnections - 1)
      << "each reconnect must take over the TIME_WAIT of the connection before it";
  ASSERT_TRUE(wait_for_connection_ends({kClientPort}, kConnections, 15s));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  auto wire = streams_by_port(capture, {kClientPort})[kClientPort];
  for (const auto& c : wire) {
    EXPECT_TRUE(c.src_closed_first()) << "the client must close first:\n" << c.describe();
  }
  auto events = procflow().events();
  expect_connections_match(truths, wire, collect_flows_by_start(events, client_flow(kClientPort)),
                           collect_flows_by_start(events, server_flow(kClientPort)));
}

// 3. 300 back-to-back connections over 3 client ports (each tuple used 100
// times, the next use of a tuple about a millisecond later, all well inside
// the hold of the flow before it), every 10th closed with SO_LINGER 0 right
// after its last echo. The server closes the others first, so each new SYN
// meets the server's TIME_WAIT. Round-robin over 3 ports, not one: the
// server's FIN may cross an aborting client's RST, and the RST its late
// arrival draws must land on a closed tuple, not on the next connection.
// Summed up per side first (the numbers the issue measured), then the first
// few disagreements in full.
TEST_F(WireTruthTest, RstStormOnReusedTuplesMatchesTheCapture) {
  constexpr int kConnections = 300;
  constexpr int kPorts = 3;
  constexpr int kAbortEvery = 10;
  constexpr int kStormRounds = 2;
  constexpr int kStormReply = 0;
  ASSERT_NO_THROW(topo().set_offloads(false));
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 2, kStormReply, ServerMode::echo_close,
                         Where::root_namespace, kStormRounds * kRoundBytes),
            nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  auto truths =
      run_reuse_client(kConnections,
                       {"--ports", std::to_string(kPorts), "--abort-every",
                        std::to_string(kAbortEvery), "--rounds", std::to_string(kStormRounds),
                        "--round-bytes", std::to_string(kRoundBytes), "--server-closes"},
                       60s);
  ASSERT_FALSE(HasFailure());
  std::vector<int64_t> ports;
  for (int i = 0; i < kPorts; ++i) ports.push_back(kClientPort + i);
  ASSERT_TRUE(wait_for_connection_ends(ports, kConnections / kPorts, 30s));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  auto wire = streams_by_port(capture, ports);
  auto events = procflow().events();
  // Per port, the helper's connections in order, matched with the capture's
  // streams and each side's flows in order.
  std::map<int64_t, std::vector<const ReuseConnectionTruth*>> truths_by_port;
  for (const auto& truth : truths) truths_by_port[truth.local_port].push_back(&truth);
  std::map<int64_t, std::vector<Flow>> client_flows, server_flows;
  std::vector<ConnectionView> views;
  for (int64_t port : ports) {
    client_flows[port] = collect_flows_by_start(events, client_flow(port));
    server_flows[port] = collect_flows_by_start(events, server_flow(port));
    const auto& helper = truths_by_port[port];
    EXPECT_EQ(wire[port].size(), helper.size()) << "connections from port " << port;
    EXPECT_EQ(client_flows[port].size(), helper.size()) << "client flows from port " << port;
    EXPECT_EQ(server_flows[port].size(), helper.size()) << "server flows from port " << port;
    size_t n = std::min(
        {helper.size(), wire[port].size(), client_flows[port].size(), server_flows[port].size()});
    for (size_t i = 0; i < n; ++i) {
      views.push_back({helper[i], &wire[port][i], &client_flows[port][i], &server_flows[port][i]});
    }
  }
  ASSERT_EQ(views.size(), static_cast<size_t>(kConnections));

  int aborted = 0, rst_on_wire = 0, client_resets = 0, server_resets = 0;
  int client_wrong = 0, server_wrong = 0, rst_not_aborted = 0;
  std::string details;
  int shown = 0;
  auto reset = [](const Flow* flow) {
    return flow->end() && flow->end()->str("end_reason") == "reset";
  };
  for (const ConnectionView& v : views) {
    aborted += v.truth->aborted;
    rst_on_wire += v.wire->has("RST");
    client_resets += reset(v.client);
    server_resets += reset(v.server);
    rst_not_aborted += v.wire->has("RST") != v.truth->aborted;
    std::string client = disagreement(*v.client, *v.wire);
    std::string server = disagreement(*v.server, *v.wire);
    client_wrong += !client.empty();
    server_wrong += !server.empty();
    if ((!client.empty() || !server.empty()) && shown++ < 6) {
      details += "connection " + std::to_string(v.truth->index) + " (" +
                 (v.truth->aborted ? "aborted" : "closed") +
                 ")\n    client: " + (client.empty() ? "ok" : client) +
                 "\n    server: " + (server.empty() ? "ok" : server) + "\n    " +
                 v.wire->describe();
    }
  }
  EXPECT_EQ(aborted, kConnections / kAbortEvery);
  EXPECT_EQ(rst_on_wire, aborted) << "streams with an RST";
  EXPECT_EQ(rst_not_aborted, 0) << "connections whose capture has an RST but were not aborted, "
                                   "or were aborted and have none";
  EXPECT_EQ(client_resets, rst_on_wire) << "client flows that ended `reset`";
  EXPECT_EQ(server_resets, rst_on_wire) << "server flows that ended `reset`";
  EXPECT_EQ(client_wrong, 0) << "client flows that disagree with their stream";
  EXPECT_EQ(server_wrong, 0) << "server flows that disagree with their stream";
  EXPECT_TRUE(details.empty()) << "the first disagreements:\n" << details;
}

constexpr int64_t kMtuFrame = 1514;  // the longest frame a 1500-byte MTU veth carries

// 4a. Offloads on: TCP hands the veth 64 KiB super-packets. TC counts each as
// its gso_segs; the socket's own counters (a second procflow without TC)
// count segments too, so both report the same packet_count for both flows,
// while the capture holds fewer, longer frames (proof that GSO happened).
TEST_F(WireTruthTest, GsoSuperPacketsCountAsTheirSegments) {
  constexpr int64_t kBulkBytes = 64 << 20;
  constexpr int kBulkReply = 8 << 20;
  ASSERT_NO_THROW(topo().set_offloads(true));
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ProcflowRunner* sockets =
      start_extra_procflow({topo().host_if()}, {"--disable-hook", "tcx,clsact"});
  ASSERT_NE(sockets, nullptr);
  PreforkServer* server = start_server(topo().host_ip4(), kServerPort, 1, kBulkReply);
  ASSERT_NE(server, nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client = spawn_in_ns({helper_path(Helper::tcp_client), topo().host_ip4(),
                                        std::to_string(kServerPort), std::to_string(kBulkBytes)});
  ASSERT_TRUE(client.wait(60s)) << client.describe();
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kBulkBytes);
  ASSERT_EQ(truth->received, kBulkReply);
  FlowSelector client_flow = this->client_flow(truth->local_port);
  FlowSelector server_flow = this->server_flow(truth->local_port);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}, 20s));
  auto both_ended = [&](const std::vector<JsonLine>& events) {
    return count_events(events, client_flow, "end") && count_events(events, server_flow, "end");
  };
  ASSERT_TRUE(sockets->wait_for(both_ended, 20s)) << "the socket-counting procflow";
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_NO_FATAL_FAILURE(stop_procflow(*sockets));
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto wire = capture.connections(topo().ns_ip4(), truth->local_port, topo().host_ip4(),
                                  kServerPort, &error);
  ASSERT_TRUE(wire) << error;
  ASSERT_EQ(wire->size(), 1u);
  const CapturedConnection& seen = wire->front();
  EXPECT_GT(seen.largest_frame(), kMtuFrame)
      << "no super-packet crossed the veth: GSO was not exercised\n"
      << seen.describe();

  auto tc_events = procflow().events();
  auto socket_events = sockets->events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow tc = collect_flow(tc_events, selector);
    Flow socket = collect_flow(socket_events, selector);
    ASSERT_TRUE(tc.end() && socket.end());
    auto tc_count = tc.end()->integer("packet_count");
    auto socket_count = socket.end()->integer("packet_count");
    ASSERT_TRUE(tc_count && socket_count) << tc.end()->raw() << "\n" << socket.end()->raw();
    EXPECT_EQ(*tc_count, *socket_count) << "TC (segments): " << tc.end()->raw()
                                        << "\nsocket segs_in + segs_out: " << socket.end()->raw();
    EXPECT_LT(seen.packets, *tc_count)
        << "the capture shows super-packets as one frame each, so fewer frames than segments";
    // The second procflow really counted without TC: no PSH (only TC sees it).
    EXPECT_FALSE(split_flags(socket.end()->str("tcp_flags").value_or("")).count("PSH"))
        << socket.end()->raw();
    EXPECT_EQ(split_flags(tc.end()->str("tcp_flags").value_or("")), seen.flags) << tc.end()->raw();
    const bool initiated = selector.initiated.value_or(true);
    for (const Flow* flow : {&tc, &socket}) {
      const JsonLine& end = *flow->end();
      EXPECT_EQ(end.integer("out_bytes"),
                std::optional<int64_t>(initiated ? kBulkBytes : kBulkReply))
          << end.raw();
      EXPECT_EQ(end.integer("in_bytes"),
                std::optional<int64_t>(initiated ? kBulkReply : kBulkBytes))
          << end.raw();
      EXPECT_EQ(end.str("end_reason"), std::optional<std::string>("close")) << end.raw();
    }
    RecordProperty(initiated ? "client_packet_count" : "server_packet_count", *tc_count);
  }
  RecordProperty("frames", seen.packets);
  RecordProperty("largest_frame", seen.largest_frame());
}

// 4b. Offloads off: every frame is one segment, and packet_count equals the capture.
TEST_F(WireTruthTest, BulkTransferWithoutOffloadsEqualsTheCapture) {
  constexpr int64_t kBulkBytes = 4 << 20;
  constexpr int kBulkReply = 1 << 20;
  ASSERT_NO_THROW(topo().set_offloads(false));
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, kBulkReply), nullptr);
  PacketCapture capture(topo().host_if());
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client = spawn_in_ns({helper_path(Helper::tcp_client), topo().host_ip4(),
                                        std::to_string(kServerPort), std::to_string(kBulkBytes)});
  ASSERT_TRUE(client.wait(60s)) << client.describe();
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  ASSERT_EQ(truth->sent, kBulkBytes);
  ASSERT_EQ(truth->received, kBulkReply);
  FlowSelector client_flow = this->client_flow(truth->local_port);
  FlowSelector server_flow = this->server_flow(truth->local_port);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}, 20s));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto wire = capture.connections(topo().ns_ip4(), truth->local_port, topo().host_ip4(),
                                  kServerPort, &error);
  ASSERT_TRUE(wire) << error;
  ASSERT_EQ(wire->size(), 1u);
  const CapturedConnection& seen = wire->front();
  EXPECT_LE(seen.largest_frame(), kMtuFrame) << "offloads are still on:\n" << seen.describe();
  // 5 MiB in at most 1448-byte segments, plus the ACKs.
  ASSERT_GT(seen.packets, (kBulkBytes + kBulkReply) / 1448);
  auto events = procflow().events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow flow = collect_flow(events, selector);
    ASSERT_TRUE(flow.end());
    std::string wrong = disagreement(flow, seen);
    EXPECT_TRUE(wrong.empty()) << wrong;
  }
}

// 5. A tun link (no link-layer header) with addresses whose bytes 4-5 are
// 0x86dd, procflow attached to the tun device only: the count equals a
// capture of the tun, and the flags include PSH, which only TC can report
// (the socket fallback knows SYN, ACK, FIN and RST only).
TEST_F(WireTruthTest, TunDeviceIsParsedFromTheNetworkHeader) {
  constexpr int kClientBytes = 3000;
  constexpr int kTunRounds = 3;
  std::unique_ptr<TunLink> link;
  try {
    link = std::make_unique<TunLink>(topo());
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({link->root_if()}));
  const std::string server_ip = link->root_ip6();
  const std::string client_ip = link->ns_ip6();
  PreforkServer* server = start_server(server_ip, kServerPort, 1, kReplyBytes, ServerMode::echo);
  ASSERT_NE(server, nullptr);
  PacketCapture capture(link->root_if());
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client =
      run_in_ns({helper_path(Helper::tcp_client), server_ip, std::to_string(kServerPort),
                 std::to_string(kClientBytes), "--rounds", std::to_string(kTunRounds)});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe() << link->describe();
  ASSERT_EQ(truth->sent, kClientBytes);
  ASSERT_EQ(truth->received, kClientBytes + kReplyBytes);
  ASSERT_TRUE(server->wait_for_peer(truth->local_port));

  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto wire = capture.connections(client_ip, truth->local_port, server_ip, kServerPort, &error);
  ASSERT_TRUE(wire) << error;
  ASSERT_EQ(wire->size(), 1u) << link->describe();
  const CapturedConnection& seen = wire->front();
  ASSERT_GT(seen.packets, 10) << seen.describe() << capture.describe();
  ASSERT_TRUE(seen.has("PSH")) << seen.describe();
  auto events = procflow().events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow flow = collect_flow(events, selector);
    ASSERT_TRUE(flow.end());
    std::string wrong = disagreement(flow, seen);
    EXPECT_TRUE(wrong.empty()) << wrong << "\n" << seen.describe();
    EXPECT_EQ(flow.end()->integer("out_bytes"),
              selector.initiated.value_or(true) ? truth->sent : truth->received);
  }
}

// 6. The tun link with TSO on both devices, as a VM's tap: the relay moves
// super-packets of up to 64 KiB, and each arrives on the traced tun as one
// skb with gso_size set but gso_segs 0 (untrusted GSO: the kernel counts its
// segments only if it segments it). TC must count it as its segments, like
// the super-packets the local TCP sends out (gso_segs set): packet_count is
// the capture's frames cut into segments of the MSS each SYN announced.
TEST_F(WireTruthTest, TunWithOffloadsCountsTheSegmentsOfEachSuperPacket) {
  constexpr int64_t kBulkBytes = 16 << 20;
  constexpr int kBulkReply = 4 << 20;
  constexpr int64_t kTunMtu = 1500;  // a frame on the tun is the IP packet
  std::unique_ptr<TunLink> link;
  try {
    link = std::make_unique<TunLink>(topo(), TunLink::Offloads::on);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  ASSERT_NO_FATAL_FAILURE(start_procflow_on({link->root_if()}));
  const std::string server_ip = link->root_ip6();
  const std::string client_ip = link->ns_ip6();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, kBulkReply), nullptr);
  PacketCapture capture(link->root_if());
  ASSERT_TRUE(capture.wait_ready());

  SpawnedProcess& client = spawn_in_ns({helper_path(Helper::tcp_client), server_ip,
                                        std::to_string(kServerPort), std::to_string(kBulkBytes)});
  ASSERT_TRUE(client.wait(60s)) << client.describe() << link->describe();
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe() << link->describe();
  ASSERT_EQ(truth->sent, kBulkBytes);
  ASSERT_EQ(truth->received, kBulkReply);
  FlowSelector client_flow = client_side(client_ip, truth->local_port, server_ip, kServerPort);
  FlowSelector server_flow = server_side(client_ip, truth->local_port, server_ip, kServerPort);
  ASSERT_TRUE(wait_for_ends({client_flow, server_flow}, 20s));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());

  std::string error;
  auto wire = capture.connections(client_ip, truth->local_port, server_ip, kServerPort, &error);
  ASSERT_TRUE(wire) << error;
  ASSERT_EQ(wire->size(), 1u) << link->describe();
  const CapturedConnection& seen = wire->front();
  ASSERT_GT(seen.largest_frame(), kTunMtu) << "no super-packet crossed the tun\n"
                                           << seen.describe();
  auto segments = seen.segments();
  ASSERT_TRUE(segments) << "both SYNs with their MSS options are needed\n" << seen.describe();
  // More segments than the relay wrote packets: the client's super-packets too.
  ASSERT_GT(*segments, seen.packets);
  auto events = procflow().events();
  for (const FlowSelector& selector : {client_flow, server_flow}) {
    SCOPED_TRACE(selector.describe());
    Flow flow = collect_flow(events, selector);
    ASSERT_TRUE(flow.end());
    const JsonLine& end = *flow.end();
    EXPECT_EQ(end.integer("packet_count"), std::optional<int64_t>(*segments))
        << end.raw() << "\nthe capture has " << seen.packets << " frames, " << *segments
        << " segments";
    EXPECT_EQ(split_flags(end.str("tcp_flags").value_or("")), seen.flags) << end.raw();
    EXPECT_EQ(end.str("end_reason"), std::optional<std::string>("close")) << end.raw();
  }
  RecordProperty("frames", seen.packets);
  RecordProperty("segments", *segments);
}

}  // namespace
}  // namespace procflow_it
