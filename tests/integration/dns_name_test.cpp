// Names from DNS, with a real DNS server: dnsmasq in the root namespace
// answers on the host-side veth address, and the namespace's resolver points
// at it (/etc/netns/<ns>/resolv.conf). A client in the namespace resolves a
// name with getent (glibc's own resolver: the queries a real application
// makes), then connects to the address it got with tcp_client or udp_peer.
// procflow sees the responses on the traced veth; the flows must carry the
// name the client asked for as dest_fqdn, and its first label as
// dest_hostname.
//
// The answers point at addresses the root namespace does not have: extra
// addresses of the namespace's side of the veth, where the servers run. No
// /etc/hosts line and no address of the host can name them, so a name on a
// flow to one of them can only have come from a DNS answer. (The connections
// themselves stay inside the namespace; only DNS crosses the traced veth,
// and only the responses are needed for names.)
//
//   web.test    A 10.213.N.10     (--address)
//   real.test   A 10.213.N.11     (--host-record)
//   alias.test  CNAME real.test   (--cname): the asked name, alias.test, wins
//   six.test    AAAA fd00:213:N::10
//   short.test  A 10.213.N.12, TTL 1 s (every other answer has TTL 300 s)
//   nx.test     NXDOMAIN (as every other name under .test)
//   10.213.N.13 is in the namespace but in no answer
//
// A tcpdump capture of the veth confirms what dnsmasq really answered (the
// CNAME, the TTL, the NXDOMAIN) and gives the exact bytes of the DNS
// queries' own flows, which are UDP flows of the resolving getent and, on
// the other side, of dnsmasq.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <thread>

#include "dns_server.h"
#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"

namespace procflow_it {
namespace {

constexpr int kDnsPort = 53;
constexpr int kTcpSendBytes = 100;
constexpr int kTcpReplyBytes = 300;
constexpr const char* kUdpSizes = "10,20";
constexpr int kUdpDatagrams = 2;

int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string first_label(const std::string& fqdn) {
  return fqdn.substr(0, fqdn.find('.'));
}

// tshark display filter for the responses to questions for `name`.
std::string responses_for(const std::string& name) {
  return "dns.flags.response==1 && dns.qry.name==\"" + name + "\"";
}

class DnsNameTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    getent_ = system_program_path("getent");
    ASSERT_FALSE(getent_.empty()) << "these tests need getent";
    ASSERT_FALSE(system_program_path("dnsmasq").empty()) << "these tests need dnsmasq";
    try {
      web_ip_ = topo().add_ns_ip4(10);
      real_ip_ = topo().add_ns_ip4(11);
      short_ip_ = topo().add_ns_ip4(12);
      unnamed_ip_ = topo().add_ns_ip4(13);
      six_ip_ = topo().add_ns_ip6(10);
      topo().use_nameserver(topo().host_ip4());
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    dns_ = std::make_unique<DnsServer>(
        topo().netns(), topo().host_ip4(),
        std::vector<std::string>{
            "--address=/web.test/" + web_ip_, "--host-record=real.test," + real_ip_,
            "--cname=alias.test,real.test", "--host-record=six.test," + six_ip_,
            "--host-record=short.test," + short_ip_ + ",1"});
    ASSERT_TRUE(dns_->wait_ready());
  }

  void TearDown() override {
    if (HasFailure() && dns_) std::cerr << "===== dnsmasq =====\n" << dns_->process().describe();
    dns_.reset();  // before the topology (and with it dnsmasq's address) goes
    IntegrationTest::TearDown();
  }

  // Servers inside the namespace: TCP on every IPv4 address of it and on the
  // IPv6 one, UDP on `udp_ip` (one client of kUdpDatagrams datagrams).
  void start_servers(const std::string& udp_ip = {}) {
    ASSERT_NE(start_server("0.0.0.0", kServerPort, 2, kTcpReplyBytes, ServerMode::reply_at_eof,
                           Where::test_namespace),
              nullptr);
    ASSERT_NE(start_server(six_ip_, kServerPort, 1, kTcpReplyBytes, ServerMode::reply_at_eof,
                           Where::test_namespace),
              nullptr);
    if (!udp_ip.empty()) {
      ASSERT_NE(start_udp_server(udp_ip, kUdpPort, kUdpDatagrams, 2, Where::test_namespace),
                nullptr);
    }
  }

  // getent in the namespace resolves `name` (A and AAAA, through dnsmasq).
  struct Resolution {
    int64_t pid = -1;
    int exit_code = -1;
    std::vector<std::string> addresses;  // unique, in getent's order
  };
  void resolve(const std::string& name, Resolution* out) {
    SpawnedProcess& getent = run_in_ns({getent_, "ahosts", name});
    ASSERT_TRUE(getent.status() && getent.status()->exited) << getent.describe();
    out->pid = getent.pid();
    out->exit_code = getent.status()->code;
    std::istringstream lines(getent.out().text());
    for (std::string line; std::getline(lines, line);) {
      std::string address = line.substr(0, line.find_first_of(" \t"));
      if (address.empty()) continue;
      if (std::find(out->addresses.begin(), out->addresses.end(), address) ==
          out->addresses.end()) {
        out->addresses.push_back(address);
      }
    }
  }
  // Resolves `name` and requires exactly `address` as the answer.
  void resolve_to(const std::string& name, const std::string& address) {
    Resolution r;
    ASSERT_NO_FATAL_FAILURE(resolve(name, &r));
    ASSERT_EQ(r.exit_code, 0) << "getent could not resolve " << name;
    ASSERT_EQ(r.addresses, std::vector<std::string>{address}) << "dnsmasq's answer for " << name;
  }

  // A tcp_client connection from the namespace to ip:kServerPort, its flow
  // once ended (and, with hold_ms, the client still holding it open).
  FlowSelector tcp_selector(const ClientTruth& truth, const std::string& ip) {
    return FlowSelector{.src_port = truth.local_port,
                        .dest_ip = ip,
                        .dest_port = kServerPort,
                        .initiated = true,
                        .pid = truth.pid,
                        .transport = "TCP"};
  }
  void tcp_flow_to(const std::string& ip, Flow* out) {
    SpawnedProcess& client =
        run_in_ns({helper_path(Helper::tcp_client), ip, std::to_string(kServerPort),
                   std::to_string(kTcpSendBytes)});
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && truth->error.empty() && truth->received == kTcpReplyBytes)
        << client.describe();
    FlowSelector selector = tcp_selector(*truth, ip);
    ASSERT_TRUE(wait_for_ends({selector}));
    *out = collect_flow(procflow().events(), selector);
  }

  // An unconnected udp_peer client from the namespace to ip:kUdpPort, its flow once ended.
  void udp_flow_to(const std::string& ip, Flow* out) {
    SpawnedProcess& client = run_in_ns({helper_path(Helper::udp_peer), "client", ip,
                                        std::to_string(kUdpPort), "--sizes", kUdpSizes});
    auto truths = udp_peer_truths(client);
    ASSERT_TRUE(client.status() && client.status()->success() && truths.size() == 1)
        << client.describe();
    FlowSelector selector{.dest_ip = ip,
                          .dest_port = kUdpPort,
                          .initiated = true,
                          .pid = truths.front().pid,
                          .transport = "UDP"};
    ASSERT_TRUE(wait_for_ends({selector}));
    *out = collect_flow(procflow().events(), selector);
  }

  // Every event of the flow names its destination `fqdn` (dest_hostname: its
  // first label), and `canonical` (the end of a CNAME chain) when given.
  static void expect_dest_named(const Flow& flow, const std::string& fqdn,
                                const std::string& canonical = "") {
    ASSERT_TRUE(flow.start() && flow.end()) << "the flow needs a start and an end";
    for (const JsonLine* event : flow.all()) {
      EXPECT_EQ(event->str("dest_fqdn"), std::optional<std::string>(fqdn)) << event->raw();
      EXPECT_EQ(event->str("dest_hostname"), std::optional<std::string>(first_label(fqdn)))
          << event->raw();
      if (canonical.empty())
        EXPECT_FALSE(event->has("dest_canonical")) << event->raw();
      else
        EXPECT_EQ(event->str("dest_canonical"), std::optional<std::string>(canonical))
            << event->raw();
    }
  }
  static void expect_dest_unnamed(const Flow& flow) {
    ASSERT_TRUE(flow.start() && flow.end()) << "the flow needs a start and an end";
    for (const JsonLine* event : flow.all()) {
      EXPECT_FALSE(event->has("dest_fqdn")) << "no answer named this address: " << event->raw();
      EXPECT_FALSE(event->has("dest_hostname")) << event->raw();
    }
  }

  // Reads the capture after stop(); fails the test if tshark does.
  static std::vector<std::vector<std::string>> read_capture(
      const PacketCapture& capture, const std::string& filter,
      const std::vector<std::string>& fields) {
    std::string error;
    auto rows = capture.fields(filter, fields, &error);
    EXPECT_TRUE(rows) << error;
    return rows.value_or(std::vector<std::vector<std::string>>{});
  }

  std::string getent_;
  std::string web_ip_, real_ip_, short_ip_, unnamed_ip_, six_ip_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(DnsNameTest, ARecordNamesTcpAndUdpFlows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers(web_ip_));
  ASSERT_NO_FATAL_FAILURE(resolve_to("web.test", web_ip_));

  Flow tcp;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(web_ip_, &tcp));
  expect_dest_named(tcp, "web.test");
  Flow udp;
  ASSERT_NO_FATAL_FAILURE(udp_flow_to(web_ip_, &udp));
  expect_dest_named(udp, "web.test");
}

// --port keeps only the web server's flows, in userspace and in the kernel;
// the DNS flows that asked for its name are still followed, in the kernel,
// because they tell which namespace the answer is for: without them the
// answer names nothing. (They are not reported: their ports do not match.)
TEST_F(DnsNameTest, PortFilterKeepsTheQueriesThatNameTheWantedFlows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow({"--port", std::to_string(kServerPort)}));
  ASSERT_NO_FATAL_FAILURE(start_servers());
  ASSERT_NO_FATAL_FAILURE(resolve_to("web.test", web_ip_));

  Flow tcp;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(web_ip_, &tcp));
  expect_dest_named(tcp, "web.test");
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  for (const auto& event : procflow().events())
    EXPECT_NE(event.integer("dest_port"), std::optional<int64_t>(kDnsPort)) << event.raw();
}

// alias.test is a CNAME of real.test: the A record in the answer is
// real.test's, but the client asked for alias.test, and that is the name.
TEST_F(DnsNameTest, CnameChainNamesTheAskedName) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers(real_ip_));
  PacketCapture capture(topo().host_if(), "udp port 53");
  ASSERT_TRUE(capture.wait_ready());
  ASSERT_NO_FATAL_FAILURE(resolve_to("alias.test", real_ip_));

  Flow tcp;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(real_ip_, &tcp));
  expect_dest_named(tcp, "alias.test", "real.test");
  Flow udp;
  ASSERT_NO_FATAL_FAILURE(udp_flow_to(real_ip_, &udp));
  expect_dest_named(udp, "alias.test", "real.test");

  // The answer really was a chain: alias.test CNAME real.test, real.test A.
  ASSERT_TRUE(capture.stop());
  auto rows =
      read_capture(capture, responses_for("alias.test") + " && dns.a", {"dns.cname", "dns.a"});
  ASSERT_EQ(rows.size(), 1u) << "one A response for alias.test expected";
  EXPECT_EQ(rows[0][0], "real.test");
  EXPECT_EQ(rows[0][1], real_ip_);
}

TEST_F(DnsNameTest, AaaaRecordNamesIpv6Flows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers(six_ip_));
  ASSERT_NO_FATAL_FAILURE(resolve_to("six.test", six_ip_));

  Flow tcp;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(six_ip_, &tcp));
  expect_dest_named(tcp, "six.test");
  Flow udp;
  ASSERT_NO_FATAL_FAILURE(udp_flow_to(six_ip_, &udp));
  expect_dest_named(udp, "six.test");
}

// An NXDOMAIN answer names nothing. What is asserted: after the NXDOMAIN for
// nx.test, a flow to an address that no answer named carries no
// dest_fqdn/dest_hostname, while in the same run a name that did resolve
// (web.test) still names its flow, so names do come from DNS here and the
// NXDOMAIN broke nothing.
TEST_F(DnsNameTest, NxdomainNamesNothing) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers());
  PacketCapture capture(topo().host_if(), "udp port 53");
  ASSERT_TRUE(capture.wait_ready());

  Resolution nx;
  ASSERT_NO_FATAL_FAILURE(resolve("nx.test", &nx));
  EXPECT_EQ(nx.exit_code, 2) << "getent: the key was not found";
  EXPECT_TRUE(nx.addresses.empty());
  Flow unnamed;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(unnamed_ip_, &unnamed));
  expect_dest_unnamed(unnamed);

  ASSERT_NO_FATAL_FAILURE(resolve_to("web.test", web_ip_));
  Flow named;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(web_ip_, &named));
  expect_dest_named(named, "web.test");

  ASSERT_TRUE(capture.stop());
  auto rows =
      read_capture(capture, responses_for("nx.test"), {"dns.flags.rcode", "dns.count.answers"});
  ASSERT_FALSE(rows.empty()) << "no response for nx.test was captured";
  for (const auto& row : rows) {
    EXPECT_EQ(row[0], "3") << "rcode should be NXDOMAIN";
    EXPECT_EQ(row[1], "0") << "an NXDOMAIN response with answers";
  }
}

// short.test is answered with TTL 1 s. The flow starts when that TTL has long
// expired (3 s later), yet procflow kept the name: a cached name lives at
// least the 60 s floor, because clients keep using addresses past short TTLs.
// What is asserted is the floor from the inside: the name outlives its TTL.
// That it is dropped after 60 s is not (a test would have to wait a minute).
TEST_F(DnsNameTest, ExpiredTtlStillNamesFlowsWithinTheFloor) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers());
  PacketCapture capture(topo().host_if(), "udp port 53");
  ASSERT_TRUE(capture.wait_ready());

  ASSERT_NO_FATAL_FAILURE(resolve_to("short.test", short_ip_));
  const int64_t answered_us = realtime_us();
  std::this_thread::sleep_for(3s);
  Flow tcp;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(short_ip_, &tcp));
  expect_dest_named(tcp, "short.test");
  auto start = parse_rfc3339_us(tcp.start()->str("start_time").value_or(""));
  ASSERT_TRUE(start);
  EXPECT_GE(*start - answered_us, 2'000'000) << "the TTL should have expired before the flow";

  ASSERT_TRUE(capture.stop());
  auto rows = read_capture(capture, responses_for("short.test") + " && dns.a", {"dns.resp.ttl"});
  ASSERT_EQ(rows.size(), 1u) << "one A response for short.test expected";
  EXPECT_EQ(rows[0][0], "1") << "dnsmasq should have answered with TTL 1";
}

// A flow keeps the name its address had when it started. real.test's address
// is first answered for alias.test (a flow to it starts and stays open), then
// for real.test itself: the newer answer names the next flow, and the open
// flow still ends with the old name.
TEST_F(DnsNameTest, NameIsFixedWhenTheFlowStarts) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  ASSERT_NO_FATAL_FAILURE(start_servers());
  ASSERT_NO_FATAL_FAILURE(resolve_to("alias.test", real_ip_));

  SpawnedProcess& held =
      spawn_in_ns({helper_path(Helper::tcp_client), real_ip_, std::to_string(kServerPort),
                   std::to_string(kTcpSendBytes), "--hold-ms", "3000"});
  auto held_truth = wait_client_truth(held);
  ASSERT_TRUE(held_truth && held_truth->error.empty()) << held.describe();
  FlowSelector held_flow = tcp_selector(*held_truth, real_ip_);
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) { return count_events(events, held_flow, "start") > 0; },
      "the held flow's start"));

  ASSERT_NO_FATAL_FAILURE(resolve_to("real.test", real_ip_));
  Flow later;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(real_ip_, &later));
  expect_dest_named(later, "real.test");

  ASSERT_TRUE(held.wait(10s)) << held.describe();
  ASSERT_TRUE(wait_for_ends({held_flow}));
  expect_dest_named(collect_flow(procflow().events(), held_flow), "alias.test", "real.test");
}

// The DNS queries are flows too: a UDP flow of getent (the resolving process)
// to dnsmasq, and dnsmasq's own flow with it. Bytes and datagrams are the
// capture's (UDP payload: udp.length - 8). glibc sends both questions (A and
// AAAA) over one connected socket, so getent has exactly one flow, with both
// addresses. dnsmasq's socket stays open, so its flow ends at shutdown.
TEST_F(DnsNameTest, QueriesAreUdpFlowsOfTheResolverAndOfDnsmasq) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  PacketCapture capture(topo().host_if(), "udp port 53");
  ASSERT_TRUE(capture.wait_ready());
  Resolution web;
  ASSERT_NO_FATAL_FAILURE(resolve("web.test", &web));
  ASSERT_EQ(web.exit_code, 0);

  const std::string client_ip = topo().ns_ip4();
  const std::string server_ip = topo().host_ip4();
  FlowSelector getent_find{.dest_ip = server_ip,
                           .dest_port = kDnsPort,
                           .initiated = true,
                           .pid = web.pid,
                           .transport = "UDP"};
  ASSERT_TRUE(wait_for_ends({getent_find}));
  Flow getent_flow = collect_flow(procflow().events(), getent_find);
  ASSERT_EQ(getent_flow.starts.size(), 1u) << "one socket, one flow:\n"
                                           << dump(procflow().events());
  const int64_t port = getent_flow.start()->integer("src_port").value_or(0);
  ASSERT_NE(port, 0) << getent_flow.start()->raw();

  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  ASSERT_TRUE(capture.stop());
  auto rows =
      read_capture(capture, "udp.port==" + std::to_string(port), {"udp.srcport", "udp.length"});
  int64_t queries = 0, query_bytes = 0, responses = 0, response_bytes = 0;
  for (const auto& row : rows) {
    const int64_t payload = std::stoll(row[1]) - 8;
    if (row[0] == std::to_string(port)) {
      ++queries;
      query_bytes += payload;
    } else {
      ++responses;
      response_bytes += payload;
    }
  }
  ASSERT_GE(queries, 2) << "A and AAAA questions expected";
  ASSERT_EQ(responses, queries);

  FlowSelector tuple{.src_ip = client_ip,
                     .src_port = port,
                     .dest_ip = server_ip,
                     .dest_port = kDnsPort,
                     .initiated = true,
                     .transport = "UDP"};
  ExpectedFlow getent_expected;
  getent_expected.process = ExpectedProcess{.pid = web.pid,
                                            .ppid = getpid(),
                                            .exe = "getent",
                                            .image_path = getent_,
                                            .uid = 0,
                                            .user = "root"};
  getent_expected.out_bytes = query_bytes;
  getent_expected.in_bytes = response_bytes;
  getent_expected.packet_count = queries + responses;
  getent_expected.end_reason = "close";
  expect_flow(getent_flow, tuple, getent_expected);

  FlowSelector dnsmasq_flow = tuple;
  dnsmasq_flow.initiated = false;
  ExpectedFlow dnsmasq_expected;
  dnsmasq_expected.process = ExpectedProcess{.pid = dns_->pid(),
                                             .ppid = getpid(),
                                             .exe = "dnsmasq",
                                             .image_path = system_program_path("dnsmasq"),
                                             .uid = kNobodyUid,
                                             .user = "nobody"};
  dnsmasq_expected.out_bytes = response_bytes;
  dnsmasq_expected.in_bytes = query_bytes;
  dnsmasq_expected.packet_count = queries + responses;
  dnsmasq_expected.end_reason = "tracer_stop";
  Flow dnsmasq_events = collect_flow(procflow().events(), dnsmasq_flow);
  expect_flow(dnsmasq_events, dnsmasq_flow, dnsmasq_expected);

  if (getent_flow.end() && dnsmasq_events.end()) {
    EXPECT_EQ(getent_flow.end()->str("community_id"), dnsmasq_events.end()->str("community_id"));
  }
}

}  // namespace
}  // namespace procflow_it
