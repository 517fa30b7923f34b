// Forged DNS answers cannot name flows (issue 7, section 3). Anyone can put a
// "DNS response" on the wire; procflow believes one only when it answers a
// query of a traced socket (endpoints, transport, transaction id, question,
// within --dns-answer-window), and files it under that socket's network
// namespace. Each test here puts one kind of forgery on the traced veth and
// checks that it names nothing, and that procflow's exit report counts it
// under the right reason:
//
//   unsolicited, from port 53 (root) and from port 5353 (nobody, unicast)
//   wrong transaction id, question not asked, late (past a 1 s window)
//   another namespace: an accepted answer names only the asking namespace's
//     flows; raw packets spoofed from a second namespace on the same link
//     (unsolicited, or a second answer to an answered query) name nothing
//   stronger evidence: /etc/hosts wins over an accepted DNS answer, and the
//     flow says what DNS claimed (dest_fqdn_conflict)
//
// plus a positive control (the correct answer names the flow), so "not
// named" cannot come from a pipeline that names nothing at all. One more
// test, disabled, shows where the namespace scoping still fails: a socket of
// another namespace on the querier's port number takes the answer.
//
// The DNS ends are helpers/dns_peer, which encodes every message by hand: a
// querying client in the namespace (or a socket there that asked nothing), a
// scripted responder in the root namespace on the host-side veth address,
// and forgers. The answers point at extra addresses of the namespace side of
// the veth (as in dns_name_test: no /etc/hosts line and no address of the
// root namespace names them), where a prefork_server listens; tcp_client
// connects to them afterwards, from the namespace or from the root
// namespace. Every forged packet is also checked in a tcpdump capture of the
// traced veth and, where it was delivered, in what the receiving socket got:
// a packet that never crossed the veth cannot explain a flow left unnamed.
//
// The veth is the test's own, so the DNS messages procflow sees are exactly
// the ones the test sends, and its report can be compared line by line.
#include <fstream>
#include <iostream>
#include <sstream>

#include "dns_peer_truth.h"
#include "flow_assertions.h"
#include "integration_test.h"
#include "packet_capture.h"

namespace procflow_it {
namespace {

constexpr int kDnsPort = 53;
constexpr int kMdnsPort = 5353;
constexpr int kTcpSendBytes = 100;
constexpr int kTcpReplyBytes = 300;
constexpr const char* kLoopback = "127.0.0.1";

// The name /etc/hosts gives `address` the way procflow's HostsTable reads it:
// the first name of the first line that lists the address; "" when none does.
std::string hosts_name(const std::string& address) {
  std::ifstream hosts("/etc/hosts");
  for (std::string line; std::getline(hosts, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string ip, name;
    if (fields >> ip >> name && same_ip(ip, address)) return name;
  }
  return {};
}

// procflow's DNS report at exit: its "DNS: ..." log lines, in order, each
// from "DNS:" on.
std::vector<std::string> dns_report(const std::string& stderr_text) {
  std::vector<std::string> out;
  std::istringstream lines(stderr_text);
  for (std::string line; std::getline(lines, line);) {
    const size_t at = line.find(": DNS: ");
    if (at != std::string::npos) out.push_back(line.substr(at + 2));
  }
  return out;
}

// The report procflow must print: the totals line, then one line per reason
// in its order (duplicates are ignored, not rejected, and not in the total).
struct Rejections {
  int duplicate = 0;
  int conflicting = 0;
  int unsolicited = 0;
  int wrong_id = 0;
  int unasked_name = 0;
  int late = 0;
};
std::vector<std::string> expected_report(int queries, int named, const Rejections& r) {
  const int rejected = r.conflicting + r.unsolicited + r.wrong_id + r.unasked_name + r.late;
  std::vector<std::string> out = {"DNS: " + std::to_string(queries) + " queries seen, " +
                                  std::to_string(named) + " answers named addresses, " +
                                  std::to_string(rejected) + " answers rejected"};
  auto line = [&](int n, const char* verb, const char* reason) {
    if (n) out.push_back("DNS: " + std::to_string(n) + " answers " + verb + ": " + reason);
  };
  line(r.duplicate, "ignored", "duplicate");
  line(r.conflicting, "rejected", "another answer to an answered query");
  line(r.unsolicited, "rejected", "unsolicited");
  line(r.wrong_id, "rejected", "wrong transaction id");
  line(r.unasked_name, "rejected", "question not asked");
  line(r.late, "rejected", "late");
  return out;
}

// A DNS response the capture of the traced veth must hold exactly once.
struct OnWire {
  std::string what;  // for messages: which packet of the test
  int id = 0;
  std::string src;
  int src_port = 0;
  std::string dst;
  int64_t dst_port = 0;
  std::string name;
  std::string a;  // A records, "A,B"
};

std::string hex(int id) {
  std::ostringstream out;
  out << "0x" << std::hex << id;
  return out.str();
}

class DnsForgeryTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_FALSE(system_program_path("tcpdump").empty()) << "these tests need tcpdump";
    ASSERT_FALSE(system_program_path("tshark").empty()) << "these tests need tshark";
    try {
      answer_ip_ = topo().add_ns_ip4(10);
      other_ip_ = topo().add_ns_ip4(11);
      third_ip_ = topo().add_ns_ip4(12);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    // Every address of the namespace, 127.0.0.1 included (lo is up there).
    ASSERT_NE(start_server("0.0.0.0", kServerPort, 2, kTcpReplyBytes, ServerMode::reply_at_eof,
                           Where::test_namespace),
              nullptr);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& r : responders_) {
        std::cerr << "===== dns_peer respond =====\n" << r->process().describe();
      }
      for (const auto& p : others_) std::cerr << "===== helper =====\n" << p->describe();
      if (capture_) std::cerr << "===== tcpdump =====\n" << capture_->describe();
    }
    responders_.clear();
    others_.clear();
    capture_.reset();
    spoofer_.reset();
    IntegrationTest::TearDown();
  }

  // procflow on the host-side veth, and a capture of the DNS ports there.
  void start(std::vector<std::string> procflow_args = {}) {
    ASSERT_NO_FATAL_FAILURE(start_procflow(std::move(procflow_args)));
    capture_ = std::make_unique<PacketCapture>(topo().host_if(), "udp port 53 or udp port 5353");
    ASSERT_TRUE(capture_->wait_ready());
  }

  // `dns_peer respond` in the root namespace on the host-side address, port 53.
  DnsResponder* start_responder(const std::string& mode, const std::vector<std::string>& answers,
                                const std::string& other_name = "", int queries = 1) {
    responders_.push_back(std::make_unique<DnsResponder>(topo().host_ip4(), kDnsPort, mode, answers,
                                                         std::vector<std::string>{}, other_name,
                                                         queries));
    auto listening = responders_.back()->wait_listening();
    if (!listening) {
      ADD_FAILURE() << listening.message();
      return nullptr;
    }
    return responders_.back().get();
  }

  // One A query for `name` with transaction id `id`, from the namespace
  // (ns_ip4, an ephemeral port) to the responder, waiting for one answer.
  void query(const std::string& name, int id, DnsQueryTruth* out) {
    SpawnedProcess& client = run_in_ns({helper_path(Helper::dns_peer), "query", topo().host_ip4(),
                                        std::to_string(kDnsPort), name, "--id", std::to_string(id),
                                        "--bind", topo().ns_ip4(), "--timeout-ms", "6000"});
    ASSERT_TRUE(client.status() && client.status()->success()) << client.describe();
    auto truth = dns_query_truth(client);
    ASSERT_TRUE(truth) << client.describe();
    ASSERT_TRUE(truth->queried && truth->id == id && truth->local_port > 0) << client.describe();
    *out = *truth;
  }

  // A socket of the namespace that asked nothing: `dns_peer query --no-query`
  // on ns_ip4 and an ephemeral port, waiting for one datagram (up to 15 s).
  // Its port goes to `port`; collect what it got with received().
  void listen_in_ns(SpawnedProcess** out, int64_t* port) {
    SpawnedProcess& listener =
        spawn_in_ns({helper_path(Helper::dns_peer), "query", topo().host_ip4(),
                     std::to_string(kDnsPort), "nothing.test", "--id", "0", "--bind",
                     topo().ns_ip4(), "--no-query", "--timeout-ms", "15000"});
    auto ready = wait_dns_peer_ready(listener);
    ASSERT_TRUE(ready && *ready > 0) << listener.describe();
    *out = &listener;
    *port = *ready;
  }
  void received(SpawnedProcess& listener, DnsQueryTruth* out) {
    ASSERT_TRUE(listener.wait(20s) && listener.status()->success()) << listener.describe();
    auto truth = dns_query_truth(listener);
    ASSERT_TRUE(truth) << listener.describe();
    *out = *truth;
  }

  // Sends one forged response with `dns_peer forge`: from the root namespace
  // as `who`, or (raw) from inside `from_netns` when given.
  struct Forgery {
    std::string to;
    int64_t to_port = 0;
    std::string from;
    int from_port = kDnsPort;
    int id = 0;
    std::string name;
    std::vector<std::string> answers;
    bool raw = false;
    RunAs who = RunAs::root;
    const Topology* from_netns = nullptr;
  };
  void forge(const Forgery& f, DnsForgeTruth* out) {
    std::vector<std::string> argv = {helper_path(Helper::dns_peer),
                                     "forge",
                                     f.to,
                                     std::to_string(f.to_port),
                                     "--from",
                                     f.from,
                                     "--from-port",
                                     std::to_string(f.from_port),
                                     "--id",
                                     std::to_string(f.id),
                                     "--name",
                                     f.name};
    for (const auto& a : f.answers) {
      argv.push_back("--answer");
      argv.push_back(a);
    }
    if (f.raw) argv.push_back("--raw");
    argv = f.from_netns ? f.from_netns->in_ns(argv, f.who) : as_user(argv, f.who);
    others_.push_back(std::make_unique<SpawnedProcess>(argv));
    SpawnedProcess& forger = *others_.back();
    ASSERT_TRUE(forger.wait(15s) && forger.status()->success()) << forger.describe();
    auto truth = dns_forge_truth(forger);
    ASSERT_TRUE(truth) << forger.describe();
    *out = *truth;
  }

  // A tcp_client connection to ip:kServerPort from the test namespace or
  // from the root namespace; its client-side flow, once ended.
  void tcp_flow_to(const std::string& ip, Where from, Flow* out) {
    std::vector<std::string> argv = {helper_path(Helper::tcp_client), ip,
                                     std::to_string(kServerPort), std::to_string(kTcpSendBytes)};
    SpawnedProcess* client = nullptr;
    if (from == Where::test_namespace) {
      client = &run_in_ns(argv);
    } else {
      others_.push_back(std::make_unique<SpawnedProcess>(argv));
      client = others_.back().get();
      ASSERT_TRUE(client->wait(15s)) << client->describe();
    }
    auto truth = client_truth(*client);
    ASSERT_TRUE(truth && truth->error.empty() && truth->received == kTcpReplyBytes)
        << client->describe();
    FlowSelector selector{.src_port = truth->local_port,
                          .dest_ip = ip,
                          .dest_port = kServerPort,
                          .initiated = true,
                          .pid = truth->pid,
                          .transport = "TCP"};
    ASSERT_TRUE(wait_for_ends({selector}));
    *out = collect_flow(procflow().events(), selector);
    ASSERT_TRUE(out->start() && out->end()) << "the flow needs a start and an end:\n"
                                            << dump(procflow().events());
  }

  // No event of the flow names its destination, by any source.
  static void expect_dest_unnamed(const Flow& flow, const std::string& why) {
    for (const JsonLine* event : flow.all()) {
      std::string named;
      for (const char* field : {"dest_fqdn", "dest_hostname", "dest_canonical", "dest_fqdn_source",
                                "dest_fqdn_conflict"}) {
        if (event->has(field)) named += std::string(named.empty() ? "" : ", ") + field;
      }
      EXPECT_TRUE(named.empty()) << why << ", yet the flow has " << named << ": " << event->raw();
    }
  }
  // Every event of the flow names its destination `fqdn` from `source`, with
  // `conflict` ("" = no dest_fqdn_conflict).
  static void expect_dest_named(const Flow& flow, const std::string& fqdn,
                                const std::string& source, const std::string& conflict = "") {
    for (const JsonLine* event : flow.all()) {
      EXPECT_EQ(event->str("dest_fqdn"), std::optional<std::string>(fqdn)) << event->raw();
      EXPECT_EQ(event->str("dest_fqdn_source"), std::optional<std::string>(source)) << event->raw();
      if (conflict.empty()) {
        EXPECT_FALSE(event->has("dest_fqdn_conflict")) << event->raw();
      } else {
        EXPECT_EQ(event->str("dest_fqdn_conflict"), std::optional<std::string>(conflict))
            << event->raw();
      }
    }
  }

  // The response a client received is the one described (the datagram did
  // reach the socket).
  static void expect_received(const DnsQueryTruth& got, const OnWire& sent) {
    EXPECT_EQ(got.answers, 1) << sent.what << ": datagrams the socket received";
    EXPECT_EQ(got.answer_from, sent.src) << sent.what;
    EXPECT_EQ(got.answer_from_port, sent.src_port) << sent.what;
    EXPECT_EQ(got.answer_id, sent.id) << sent.what;
    EXPECT_EQ(got.answer_name, sent.name) << sent.what;
    EXPECT_EQ(got.answer_a, sent.a) << sent.what;
  }

  // Rows of the capture (after finish()) matching a tshark display filter.
  std::vector<std::vector<std::string>> captured(const std::string& filter,
                                                 const std::vector<std::string>& fields) {
    std::string error;
    auto rows = capture_->fields(filter, fields, &error);
    EXPECT_TRUE(rows) << error;
    return rows.value_or(std::vector<std::vector<std::string>>{});
  }
  // Exactly one response from w.src:w.src_port to w.dst:w.dst_port with
  // w's id carries w's question and A records.
  void expect_on_wire(const OnWire& w) {
    auto rows =
        captured("dns.flags.response==1 && dns.id==" + hex(w.id) + " && ip.src==" + w.src +
                     " && udp.srcport==" + std::to_string(w.src_port) + " && ip.dst==" + w.dst +
                     " && udp.dstport==" + std::to_string(w.dst_port),
                 {"dns.qry.name", "dns.a"});
    std::string seen;
    size_t matching = 0;
    for (const auto& row : rows) {
      seen += "\n  " + row[0] + " A " + row[1];
      if (row[0] == w.name && row[1] == w.a) ++matching;
    }
    EXPECT_EQ(matching, 1u) << w.what << ": one response " << hex(w.id) << " " << w.name << " A "
                            << w.a << " from " << w.src << ":" << w.src_port << " to " << w.dst
                            << ":" << w.dst_port
                            << " should have crossed the traced veth; the capture has:" << seen;
  }

  // Stops procflow and the capture; procflow's DNS report must be `report`,
  // and every response in `on_wire` must be in the capture.
  void finish(const std::vector<std::string>& report, const std::vector<OnWire>& on_wire) {
    ASSERT_NO_FATAL_FAILURE(stop_procflow());
    EXPECT_EQ(dns_report(procflow().stderr_text()), report);
    ASSERT_TRUE(capture_->stop());
    for (const auto& w : on_wire) expect_on_wire(w);
  }

  // A second network namespace on the traced link: a macvlan (bridge mode)
  // of the host-side veth, moved into a namespace of its own (a Topology, so
  // a crashed run's is swept), with address 10.213.N.<host>. What it sends to
  // the test namespace leaves through the host-side veth's egress, where
  // procflow and the capture see it, and no namespace routes it on the way.
  void build_spoofer(int host) {
    try {
      spoofer_ = std::make_unique<Topology>();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    const std::string macvlan = "pfm" + spoofer_->netns().substr(3);  // pfm<pid>-<n>
    const std::string prefix = topo().host_ip4().substr(0, topo().host_ip4().rfind('.') + 1);
    spoofer_ip_ = prefix + std::to_string(host);
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", "link", topo().host_if(), "name", macvlan, "type", "macvlan",
              "mode", "bridge"},
             {"ip", "link", "set", macvlan, "netns", spoofer_->netns()},
             {"ip", "-n", spoofer_->netns(), "addr", "add", spoofer_ip_ + "/24", "dev", macvlan},
             {"ip", "-n", spoofer_->netns(), "link", "set", macvlan, "up"}}) {
      CommandResult result = run_command(argv);
      ASSERT_TRUE(result.ok()) << result.describe(argv);
    }
    spoofer_mac_ = mac_of(macvlan, spoofer_.get());
  }

  // The MAC address of an interface of the root namespace (or of `netns`).
  static std::string mac_of(const std::string& ifname, const Topology* netns = nullptr) {
    std::vector<std::string> argv = {"cat", "/sys/class/net/" + ifname + "/address"};
    if (netns) argv = netns->in_ns(argv);
    CommandResult result = run_command(argv);
    EXPECT_TRUE(result.ok()) << result.describe(argv);
    return result.out.substr(0, result.out.find('\n'));
  }

  std::string answer_ip_, other_ip_, third_ip_;
  std::unique_ptr<PacketCapture> capture_;
  std::unique_ptr<Topology> spoofer_;
  std::string spoofer_ip_, spoofer_mac_;
  std::vector<std::unique_ptr<DnsResponder>> responders_;
  std::vector<std::unique_ptr<SpawnedProcess>> others_;  // forgers, root-namespace clients
};

// Positive control: the responder answers the query correctly, and the
// answer names the flow to its address, as DNS.
TEST_F(DnsForgeryTest, CorrectAnswerNamesTheFlow) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NE(start_responder("correct", {answer_ip_}), nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("good.test", 0x1001, &q));
  const OnWire answer{"the correct answer", 0x1001,       topo().host_ip4(), kDnsPort,
                      topo().ns_ip4(),      q.local_port, "good.test",       answer_ip_};
  expect_received(q, answer);

  Flow flow;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &flow));
  expect_dest_named(flow, "good.test", "dns");
  EXPECT_EQ(flow.end()->str("dest_hostname"), std::optional<std::string>("good"));

  finish(expected_report(1, 1, {}), {answer});
}

// 1. An answer nobody asked for, from port 53 of the DNS server's address to
// the address and the port of a socket in the namespace (which sent no
// query): delivered, rejected as unsolicited, names nothing.
TEST_F(DnsForgeryTest, UnsolicitedAnswerFromPort53NamesNothing) {
  ASSERT_NO_FATAL_FAILURE(start());
  SpawnedProcess* listener = nullptr;
  int64_t port = 0;
  ASSERT_NO_FATAL_FAILURE(listen_in_ns(&listener, &port));
  DnsForgeTruth forged;
  ASSERT_NO_FATAL_FAILURE(forge({.to = topo().ns_ip4(),
                                 .to_port = port,
                                 .from = topo().host_ip4(),
                                 .id = 0x2001,
                                 .name = "web.test",
                                 .answers = {answer_ip_}},
                                &forged));
  const OnWire packet{"the unsolicited answer from port 53",
                      0x2001,
                      topo().host_ip4(),
                      kDnsPort,
                      topo().ns_ip4(),
                      port,
                      "web.test",
                      answer_ip_};
  DnsQueryTruth got;
  ASSERT_NO_FATAL_FAILURE(received(*listener, &got));
  expect_received(got, packet);

  Flow flow;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &flow));
  expect_dest_unnamed(flow, "an unsolicited answer");

  finish(expected_report(0, 0, {.unsolicited = 1}), {packet});
}

// 2. The measurement: any local user can send from port 5353. nobody
// sends "bank.example A <namespace address>, A 127.0.0.1", unicast, to a
// socket in the namespace. Rejected as unsolicited: the namespace address
// stays unnamed, and 127.0.0.1 keeps its /etc/hosts name with no DNS claim
// beside it (the rejected answer was not kept as a conflicting claim either).
TEST_F(DnsForgeryTest, UnsolicitedUnicastFromPort5353ByNobodyNamesNothing) {
  const std::string loopback_name = hosts_name(kLoopback);
  if (loopback_name.empty()) GTEST_SKIP() << "/etc/hosts names no 127.0.0.1 on this machine";
  ASSERT_NO_FATAL_FAILURE(start());
  SpawnedProcess* listener = nullptr;
  int64_t port = 0;
  ASSERT_NO_FATAL_FAILURE(listen_in_ns(&listener, &port));
  DnsForgeTruth forged;
  ASSERT_NO_FATAL_FAILURE(forge({.to = topo().ns_ip4(),
                                 .to_port = port,
                                 .from = topo().host_ip4(),
                                 .from_port = kMdnsPort,
                                 .id = 0x2002,
                                 .name = "bank.example",
                                 .answers = {answer_ip_, kLoopback},
                                 .who = RunAs::nobody},
                                &forged));
  EXPECT_EQ(forged.uid, kNobodyUid) << "the forger must be unprivileged";
  const OnWire packet{"the unicast answer from port 5353",
                      0x2002,
                      topo().host_ip4(),
                      kMdnsPort,
                      topo().ns_ip4(),
                      port,
                      "bank.example",
                      answer_ip_ + "," + kLoopback};
  DnsQueryTruth got;
  ASSERT_NO_FATAL_FAILURE(received(*listener, &got));
  expect_received(got, packet);

  // procflow saw who sent it: nobody's UDP flow from port 5353.
  FlowSelector forger_flow{.src_ip = topo().host_ip4(),
                           .src_port = kMdnsPort,
                           .dest_ip = topo().ns_ip4(),
                           .dest_port = port,
                           .initiated = true,
                           .pid = forged.pid,
                           .transport = "UDP"};
  ASSERT_TRUE(wait_for_ends({forger_flow}));
  EXPECT_EQ(collect_flow(procflow().events(), forger_flow).end()->integer("uid"),
            std::optional<int64_t>(kNobodyUid));

  Flow to_answer;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &to_answer));
  expect_dest_unnamed(to_answer, "an unsolicited answer from port 5353");
  Flow to_loopback;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(kLoopback, Where::test_namespace, &to_loopback));
  expect_dest_named(to_loopback, loopback_name, "hosts");

  finish(expected_report(0, 0, {.unsolicited = 1}), {packet});
}

// 3. The real query is answered from the right server and ports, for the
// right question, but with transaction id + 1.
TEST_F(DnsForgeryTest, WrongTransactionIdNamesNothing) {
  ASSERT_NO_FATAL_FAILURE(start());
  DnsResponder* responder = start_responder("wrong-id", {answer_ip_});
  ASSERT_NE(responder, nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("web.test", 0x3001, &q));
  const OnWire answer{"the answer with id + 1", 0x3002,       topo().host_ip4(), kDnsPort,
                      topo().ns_ip4(),          q.local_port, "web.test",        answer_ip_};
  expect_received(q, answer);
  auto served = responder->wait_served(1);
  ASSERT_EQ(served.size(), 1u) << responder->process().describe();
  EXPECT_EQ(served[0].query_id, 0x3001);
  EXPECT_EQ(served[0].answer_id, 0x3002);

  Flow flow;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &flow));
  expect_dest_unnamed(flow, "an answer with the wrong transaction id");

  finish(expected_report(1, 0, {.wrong_id = 1}), {answer});
}

// 4. The query's id, server and ports, but another question: the client
// asked for web.test, the answer is for bank.example.
TEST_F(DnsForgeryTest, UnaskedNameNamesNothing) {
  ASSERT_NO_FATAL_FAILURE(start());
  DnsResponder* responder = start_responder("other-name", {answer_ip_}, "bank.example");
  ASSERT_NE(responder, nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("web.test", 0x4001, &q));
  const OnWire answer{"the answer for bank.example",
                      0x4001,
                      topo().host_ip4(),
                      kDnsPort,
                      topo().ns_ip4(),
                      q.local_port,
                      "bank.example",
                      answer_ip_};
  expect_received(q, answer);

  Flow flow;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &flow));
  expect_dest_unnamed(flow, "an answer to a question not asked");

  finish(expected_report(1, 0, {.unasked_name = 1}), {answer});
}

// 5. The right answer, 1.3 s after the query, with --dns-answer-window 1:
// late. (Queries are forgotten after twice the window, 2 s; an answer after
// that would count as unsolicited. The capture shows when it came.)
TEST_F(DnsForgeryTest, LateAnswerNamesNothing) {
  ASSERT_NO_FATAL_FAILURE(start({"--dns-answer-window", "1"}));
  DnsResponder* responder = start_responder("delay:1.3", {answer_ip_});
  ASSERT_NE(responder, nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("web.test", 0x5001, &q));
  const OnWire answer{"the late answer", 0x5001,       topo().host_ip4(), kDnsPort,
                      topo().ns_ip4(),   q.local_port, "web.test",        answer_ip_};
  expect_received(q, answer);
  EXPECT_GE(q.answer_ms, 1300) << "the answer came too early to be late";

  Flow flow;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &flow));
  expect_dest_unnamed(flow, "a late answer");

  finish(expected_report(1, 0, {.late = 1}), {answer});
  // On the wire: past the 1 s window, before the query is forgotten (2 s).
  auto queries = captured("dns.flags.response==0 && dns.id==" + hex(0x5001), {"frame.time_epoch"});
  auto answers = captured("dns.flags.response==1 && dns.id==" + hex(0x5001), {"frame.time_epoch"});
  ASSERT_EQ(queries.size(), 1u);
  ASSERT_EQ(answers.size(), 1u);
  const double delay = std::stod(answers[0][0]) - std::stod(queries[0][0]);
  EXPECT_GT(delay, 1.0);
  EXPECT_LT(delay, 2.0);
}

// 6. Namespaces. A correct answer to a query of the test namespace names that
// namespace's flow to the address (dns), but not the root namespace's flow to
// the same address. Then a second namespace on the same link (a macvlan of
// the traced veth) spoofs raw packets "from the DNS server, port 53": one to
// a socket of the test namespace that asked nothing (delivered; unsolicited),
// one copying the real answer's endpoints, id and question with another
// address (a different second answer to an answered query: rejected as the
// race a spoofer lost, not ignored as a copy).
// Neither names anything, in either namespace.
TEST_F(DnsForgeryTest, AnswersNameOnlyTheAskingNamespaceAndSpoofsNameNothing) {
  ASSERT_NO_FATAL_FAILURE(build_spoofer(50));
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NE(start_responder("correct", {answer_ip_}), nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("shared.test", 0x6001, &q));
  const OnWire answer{"the correct answer", 0x6001,       topo().host_ip4(), kDnsPort,
                      topo().ns_ip4(),      q.local_port, "shared.test",     answer_ip_};
  expect_received(q, answer);

  Flow from_ns;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &from_ns));
  expect_dest_named(from_ns, "shared.test", "dns");
  Flow from_root;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::root_namespace, &from_root));
  expect_dest_unnamed(from_root, "the answer was for the test namespace");

  SpawnedProcess* listener = nullptr;
  int64_t port = 0;
  ASSERT_NO_FATAL_FAILURE(listen_in_ns(&listener, &port));
  DnsForgeTruth spoofed;
  ASSERT_NO_FATAL_FAILURE(forge({.to = topo().ns_ip4(),
                                 .to_port = port,
                                 .from = topo().host_ip4(),
                                 .id = 0x6002,
                                 .name = "spoofed.test",
                                 .answers = {other_ip_},
                                 .raw = true,
                                 .from_netns = spoofer_.get()},
                                &spoofed));
  const OnWire unsolicited{"the raw spoof to a socket that asked nothing",
                           0x6002,
                           topo().host_ip4(),
                           kDnsPort,
                           topo().ns_ip4(),
                           port,
                           "spoofed.test",
                           other_ip_};
  DnsQueryTruth got;
  ASSERT_NO_FATAL_FAILURE(received(*listener, &got));
  expect_received(got, unsolicited);

  DnsForgeTruth copied;
  ASSERT_NO_FATAL_FAILURE(forge({.to = topo().ns_ip4(),
                                 .to_port = q.local_port,
                                 .from = topo().host_ip4(),
                                 .id = 0x6001,
                                 .name = "shared.test",
                                 .answers = {third_ip_},
                                 .raw = true,
                                 .from_netns = spoofer_.get()},
                                &copied));

  for (Where from : {Where::test_namespace, Where::root_namespace}) {
    const char* where = from == Where::test_namespace ? "test namespace" : "root namespace";
    Flow to_other;
    ASSERT_NO_FATAL_FAILURE(tcp_flow_to(other_ip_, from, &to_other));
    expect_dest_unnamed(to_other, std::string("an unsolicited spoof, flow from the ") + where);
    Flow to_third;
    ASSERT_NO_FATAL_FAILURE(tcp_flow_to(third_ip_, from, &to_third));
    expect_dest_unnamed(
        to_third, std::string("a second answer to an answered query, flow from the ") + where);
  }

  const OnWire copy{"the raw copy of the answer, another address",
                    0x6001,
                    topo().host_ip4(),
                    kDnsPort,
                    topo().ns_ip4(),
                    q.local_port,
                    "shared.test",
                    third_ip_};
  finish(expected_report(1, 1, {.conflicting = 1, .unsolicited = 1}), {answer, unsolicited, copy});
  // On the wire both spoofs claim the DNS server's address; only their
  // Ethernet source tells that they came from the second namespace.
  auto rows = captured("dns.flags.response==1", {"dns.id", "dns.a", "eth.src"});
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    const bool real = row[1] == answer_ip_;
    EXPECT_EQ(row[2], real ? mac_of(topo().host_if()) : spoofer_mac_)
        << "response " << row[0] << " A " << row[1];
  }
}

// 7. Stronger evidence. The namespace asks for bank.example and the correct
// answer says "A 127.0.0.1, A <namespace address>". It is accepted: the
// namespace address is named bank.example (dns). But 127.0.0.1 is named by
// /etc/hosts, which wins, and the flow says what DNS claimed.
TEST_F(DnsForgeryTest, HostsFileWinsOverDnsAndShowsTheConflict) {
  const std::string loopback_name = hosts_name(kLoopback);
  if (loopback_name.empty()) GTEST_SKIP() << "/etc/hosts names no 127.0.0.1 on this machine";
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NE(start_responder("correct", {kLoopback, answer_ip_}), nullptr);
  DnsQueryTruth q;
  ASSERT_NO_FATAL_FAILURE(query("bank.example", 0x7001, &q));
  const OnWire answer{"the correct answer", 0x7001,
                      topo().host_ip4(),    kDnsPort,
                      topo().ns_ip4(),      q.local_port,
                      "bank.example",       std::string(kLoopback) + "," + answer_ip_};
  expect_received(q, answer);

  Flow to_answer;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &to_answer));
  expect_dest_named(to_answer, "bank.example", "dns");
  Flow to_loopback;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(kLoopback, Where::test_namespace, &to_loopback));
  expect_dest_named(to_loopback, loopback_name, "hosts", "bank.example (dns)");

  finish(expected_report(1, 1, {}), {answer});
}

// 6b. Namespaces sharing a port number. An answer is filed under the
// namespace of the socket found by (server address, server port, local
// port, local address) among the open UDP flows; sockets of several
// namespaces that all fit make it ambiguous (no name). Here the test namespace
// queries the responder from port P; while the answer is on its way (it comes
// 1.5 s late, well inside the 10 s window), a socket of the ROOT namespace on
// the same port P sends a datagram to the same server address (over lo: it
// never crosses the traced veth). The correct, accepted answer to the test
// namespace's query must still be filed under the test namespace (the root
// socket is bound to another local address), never the root's. Two namespaces
// talking to one DNS server from the same port number is common (ports are
// per namespace), and any user can open such a socket in a namespace of its
// own.
TEST_F(DnsForgeryTest, SamePortInAnotherNamespaceDoesNotTakeTheAnswer) {
  ASSERT_NO_FATAL_FAILURE(start());
  DnsResponder* responder = start_responder("delay:1.5", {answer_ip_}, "", 2);
  ASSERT_NE(responder, nullptr);
  SpawnedProcess& victim =
      spawn_in_ns({helper_path(Helper::dns_peer), "query", topo().host_ip4(),
                   std::to_string(kDnsPort), "victim.test", "--id", std::to_string(0x8001),
                   "--bind", topo().ns_ip4(), "--timeout-ms", "8000"});
  auto port = wait_dns_peer_ready(victim);
  ASSERT_TRUE(port) << victim.describe();
  // procflow has seen the test namespace's socket start before the other one does.
  FlowSelector victim_socket{.src_ip = topo().ns_ip4(),
                             .src_port = *port,
                             .dest_ip = topo().host_ip4(),
                             .dest_port = kDnsPort,
                             .initiated = true,
                             .pid = victim.pid(),
                             .transport = "UDP"};
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) { return count_events(events, victim_socket, "start") > 0; },
      "the start of the querying socket's flow"));

  others_.push_back(std::make_unique<SpawnedProcess>(std::vector<std::string>{
      helper_path(Helper::dns_peer), "query", topo().host_ip4(), std::to_string(kDnsPort),
      "other.test", "--id", std::to_string(0x8002), "--bind", topo().host_ip4(), "--local-port",
      std::to_string(*port), "--timeout-ms", "6000"}));
  SpawnedProcess& root_socket = *others_.back();
  ASSERT_TRUE(wait_dns_peer_ready(root_socket)) << root_socket.describe();
  FlowSelector root_flow{.src_ip = topo().host_ip4(),
                         .src_port = *port,
                         .dest_ip = topo().host_ip4(),
                         .dest_port = kDnsPort,
                         .initiated = true,
                         .pid = root_socket.pid(),
                         .transport = "UDP"};
  ASSERT_TRUE(wait_for_events(
      [&](const auto& events) { return count_events(events, root_flow, "start") > 0; },
      "the start of the root namespace's socket on the same port"));
  ASSERT_FALSE(dns_query_truth(victim)) << "the answer came before the second socket started:\n"
                                        << victim.describe();

  ASSERT_TRUE(victim.wait(15s)) << victim.describe();
  auto q = dns_query_truth(victim);
  ASSERT_TRUE(q) << victim.describe();
  const OnWire answer{"the correct answer", 0x8001, topo().host_ip4(), kDnsPort,
                      topo().ns_ip4(),      *port,  "victim.test",     answer_ip_};
  expect_received(*q, answer);

  Flow from_ns;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::test_namespace, &from_ns));
  expect_dest_named(from_ns, "victim.test", "dns");
  Flow from_root;
  ASSERT_NO_FATAL_FAILURE(tcp_flow_to(answer_ip_, Where::root_namespace, &from_root));
  expect_dest_unnamed(from_root, "the answer was for the test namespace");

  ASSERT_TRUE(root_socket.wait(15s)) << root_socket.describe();
  // Only the test namespace's query crossed the traced veth.
  finish(expected_report(1, 1, {}), {answer});
}

}  // namespace
}  // namespace procflow_it
