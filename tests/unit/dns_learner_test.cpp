// Tests DnsLearner: real DNS bytes (built with ldns) in, names in a DnsCache
// out. A believed answer is filed under the namespace of the socket that
// asked; an answer whose socket is not known yet waits, then is refused;
// link-local names keep to their link; without socket tracing, answers go to
// scope 0. Also LinkPrefixes and NameResolver's order of evidence.
#include "flow/dns_learner.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dns_wire_builder.h"
#include "enrich/name_resolver.h"

namespace procflow {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kNetnsA = 4026532001, kNetnsHost = 4026531840;

using test::ip;

DnsWireMessage wire(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                    uint64_t time_ns, uint32_t ifindex = 7) {
  DnsWireMessage w;
  w.src = ip(src);
  w.dst = ip(dst);
  w.sport = sport;
  w.dport = dport;
  w.ifindex = ifindex;
  w.time_ns = time_ns;
  return w;
}

test::Bytes query(uint16_t id, const char* name = "www.example.com.") {
  test::MessageSpec spec;
  spec.question = std::string(name) + " IN A";
  spec.response = false;
  spec.id = id;
  return test::build_dns(spec);
}

test::Bytes answer(uint16_t id, const char* address, const char* name = "www.example.com.") {
  test::MessageSpec spec;
  spec.question = std::string(name) + " IN A";
  spec.answers = {std::string(name) + " 300 IN A " + address};
  spec.id = id;
  return test::build_dns(spec);
}

LinkPrefixes link_7() {
  // Interface 7 is on 10.0.0.0/24 and fd00:1::/64.
  return LinkPrefixes({{7, *IpAddress::parse("10.0.0.1"), 24},
                       {7, *IpAddress::parse("fd00:1::1"), 64},
                       {8, *IpAddress::parse("192.168.5.1"), 24}});
}

class DnsLearnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<DnsLearner> learner(bool sockets_known = true) {
    DnsLearnerOptions options;
    options.sockets_known = sockets_known;
    options.own_netns = kNetnsHost;
    return std::make_unique<DnsLearner>(
        cache_,
        [this](uint8_t proto, const IpAddress& server, uint16_t server_port, const IpAddress& local,
               uint16_t local_port) {
          asked_ = server.to_string() + ":" + std::to_string(server_port) + " local " +
                   local.to_string() + ":" + std::to_string(local_port) + " proto " +
                   std::to_string(proto);
          return EndpointMatch{socket_netns_, ambiguous_};
        },
        options, [] { return link_7(); });
  }
  std::string name_in(uint64_t scope, const char* address) {
    const DnsName* n = cache_.find(scope, ip(address), 100);
    return n ? n->fqdn + "/" + std::string(to_string(n->source)) : "<none>";
  }

  DnsCache cache_;
  std::optional<uint64_t> socket_netns_ = kNetnsA;
  bool ambiguous_ = false;
  std::string asked_;
};

TEST_F(DnsLearnerTest, AnAnsweredQueryNamesAddressesInTheAskingSocketsNamespace) {
  auto l = learner();
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(0x1111));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec + kMs),
                answer(0x1111, "192.0.2.10"));
  EXPECT_EQ(asked_, "10.0.0.53:53 local 10.0.0.2:40000 proto 17");
  EXPECT_EQ(name_in(kNetnsA, "192.0.2.10"), "www.example.com/dns");
  EXPECT_EQ(cache_.find(kNetnsHost, ip("192.0.2.10"), 100), nullptr);  // not the host's
  EXPECT_EQ(l->answers_learned(), 1u);
  EXPECT_EQ(l->tracker().queries_seen(), 1u);
}

TEST_F(DnsLearnerTest, ForgedAnswersNameNothing) {
  auto l = learner();
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec),
                answer(0x1111, "127.0.0.1", "bank.example."));  // unsolicited
  l->on_message(wire("10.0.0.2", 40001, "10.0.0.53", 53, 100 * kSec), query(0x2222));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40001, 100 * kSec),
                answer(0x2223, "127.0.0.1"));  // wrong id
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40001, 100 * kSec),
                answer(0x2222, "127.0.0.1", "bank.example."));  // unasked name
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40001, 111 * kSec),
                answer(0x2222, "127.0.0.1"));  // late
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(l->tracker().count(DnsVerdict::unsolicited), 1u);
  EXPECT_EQ(l->tracker().count(DnsVerdict::wrong_id), 1u);
  EXPECT_EQ(l->tracker().count(DnsVerdict::unasked_name), 1u);
  EXPECT_EQ(l->tracker().count(DnsVerdict::late), 1u);
  EXPECT_EQ(l->tracker().rejected(), 4u);
}

TEST_F(DnsLearnerTest, AnAnswerWaitsForItsSocketThenIsRefused) {
  auto l = learner();
  socket_netns_.reset();  // the querying socket's flow is not known yet
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(1));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), answer(1, "192.0.2.1"));
  EXPECT_EQ(cache_.size(), 0u);
  socket_netns_ = kNetnsA;  // its record arrives
  l->tick(100 * kSec + 10 * kMs);
  EXPECT_EQ(name_in(kNetnsA, "192.0.2.1"), "www.example.com/dns");

  socket_netns_.reset();
  l->on_message(wire("10.0.0.2", 40002, "10.0.0.53", 53, 100 * kSec), query(2));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40002, 100 * kSec), answer(2, "192.0.2.2"));
  l->tick(100 * kSec + 400 * kMs);
  EXPECT_EQ(l->tracker().count(DnsVerdict::no_socket), 0u);  // still waiting
  l->tick(100 * kSec + 600 * kMs);
  EXPECT_EQ(l->tracker().count(DnsVerdict::no_socket), 1u);
  EXPECT_EQ(cache_.find(kNetnsA, ip("192.0.2.2"), 100), nullptr);
}

// The tracer retries before every flow start: once the socket's flow is
// known, the answer is filed at once, with no tick in between.
TEST_F(DnsLearnerTest, AWaitingAnswerIsFiledOnRetry) {
  auto l = learner();
  socket_netns_.reset();
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(3));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), answer(3, "192.0.2.3"));
  l->retry_waiting();
  EXPECT_EQ(l->answers_waiting(), 1u);  // still unknown: keeps waiting
  socket_netns_ = kNetnsA;
  l->retry_waiting();
  EXPECT_EQ(l->answers_waiting(), 0u);
  EXPECT_EQ(name_in(kNetnsA, "192.0.2.3"), "www.example.com/dns");
}

// Two namespaces each have a socket on the querier's port talking to this
// server: the answer could be either's, so it names nothing, at once.
TEST_F(DnsLearnerTest, AnAnswerSeveralNamespacesCouldHaveAskedForNamesNothing) {
  auto l = learner();
  socket_netns_.reset();
  ambiguous_ = true;
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(5));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), answer(5, "192.0.2.5"));
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(l->tracker().count(DnsVerdict::ambiguous_socket), 1u);
  l->tick(100 * kSec + kSec);
  EXPECT_EQ(l->tracker().count(DnsVerdict::no_socket), 0u);  // refused once, not waiting
}

TEST_F(DnsLearnerTest, WithoutSocketTracingBelievedAnswersGoToScopeZero) {
  auto l = learner(/*sockets_known=*/false);
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(3));
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), answer(3, "192.0.2.3"));
  EXPECT_EQ(name_in(0, "192.0.2.3"), "www.example.com/dns");
  EXPECT_EQ(asked_, "");  // no socket to ask about
}

TEST_F(DnsLearnerTest, MdnsAnnouncementsNameOnlyAddressesOnTheirLink) {
  auto l = learner();
  test::MessageSpec spec;
  spec.question = "";
  spec.id = 0;
  spec.answers = {"printer.local. 120 IN A 10.0.0.9", "evil.local. 120 IN A 8.8.8.8",
                  "phone.local. 120 IN AAAA fe80::1"};
  l->on_message(wire("10.0.0.9", 5353, "224.0.0.251", 5353, 100 * kSec), test::build_dns(spec));
  EXPECT_EQ(name_in(kNetnsHost, "10.0.0.9"), "printer.local/mdns");
  EXPECT_EQ(name_in(kNetnsHost, "fe80::1"), "phone.local/mdns");
  EXPECT_EQ(cache_.find(kNetnsHost, ip("8.8.8.8"), 100), nullptr);
  // The same from a responder that is not on interface 7's link names nothing.
  l->on_message(wire("192.168.5.9", 5353, "224.0.0.251", 5353, 100 * kSec), test::build_dns(spec));
  EXPECT_EQ(l->tracker().count(DnsVerdict::off_link), 1u);
}

TEST_F(DnsLearnerTest, QueriesAndGarbageAreNotAnswers) {
  auto l = learner();
  l->on_message(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec), query(4));
  const uint8_t junk[] = {1, 2, 3};
  l->on_message(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), junk);
  EXPECT_EQ(l->tracker().count(DnsVerdict::malformed), 1u);
  EXPECT_EQ(cache_.size(), 0u);
}

TEST(LinkPrefixesTest, OnLinkMeansInsideAPrefixOfThatInterfaceOrLinkLocal) {
  const LinkPrefixes p = link_7();
  EXPECT_TRUE(p.on_link(7, ip("10.0.0.200")));
  EXPECT_FALSE(p.on_link(7, ip("10.0.1.1")));
  EXPECT_FALSE(p.on_link(8, ip("10.0.0.200")));  // another interface's prefix
  EXPECT_TRUE(p.on_link(7, ip("fd00:1::abcd")));
  EXPECT_FALSE(p.on_link(7, ip("fd00:2::1")));
  EXPECT_TRUE(p.on_link(9, ip("169.254.3.4")));
  EXPECT_TRUE(p.on_link(9, ip("fe80::99")));
  EXPECT_TRUE(p.on_link(7, ip("::ffff:10.0.0.3")));
  EXPECT_TRUE(LinkPrefixes::in_prefix(ip("10.1.2.3"), ip("10.0.0.0"), 8));
  EXPECT_FALSE(LinkPrefixes::in_prefix(ip("10.1.2.3"), ip("10.0.0.0"), 16));
  EXPECT_FALSE(LinkPrefixes::in_prefix(ip("10.1.2.3"), ip("fd00::"), 8));
}

TEST(LinkPrefixesTest, ThisHostHasLoopback) {
  const LinkPrefixes p = LinkPrefixes::read_system();
  EXPECT_TRUE(p.on_link(1, ip("127.0.0.5")));
}

// ---- the order of evidence ---------------------------------------------------

class NameResolverTest : public ::testing::Test {
 protected:
  NameResolver resolver() {
    return NameResolver(cache_, HostsTable::parse("127.0.0.1 localhost\n10.9.9.9 pinned\n"),
                        {ip("10.0.0.5")}, "node1.example.com");
  }
  void learn(uint64_t scope, const char* name, const char* address,
             NameSource source = NameSource::dns) {
    DnsMessage m;
    m.is_response = true;
    m.question = name;
    DnsRecord r;
    r.name = name;
    r.type = dns_type::a;
    r.ttl = 300;
    r.address = ip(address);
    m.answers = {r};
    cache_.add(scope, m, 100, source);
  }
  DnsCache cache_;
};

TEST_F(NameResolverTest, AMatchedDnsAnswerNamesAnAddressNothingLocalKnows) {
  auto r = resolver();
  learn(kNetnsA, "www.example.com", "192.0.2.1");
  const ResolvedName n = r.resolve(kNetnsA, ip("192.0.2.1"), 100);
  EXPECT_EQ(n.fqdn, "www.example.com");
  EXPECT_EQ(n.source, NameSource::dns);
  EXPECT_EQ(n.conflict, "");
  EXPECT_EQ(r.resolve(kNetnsHost, ip("192.0.2.1"), 100).source, NameSource::none);
}

TEST_F(NameResolverTest, TheHostsFileBeatsADnsAnswerAndTheClaimIsShown) {
  auto r = resolver();
  learn(kNetnsA, "bank.example", "127.0.0.1");
  const ResolvedName n = r.resolve(kNetnsA, ip("127.0.0.1"), 100);
  EXPECT_EQ(n.fqdn, "localhost");
  EXPECT_EQ(n.source, NameSource::hosts);
  EXPECT_EQ(n.conflict, "bank.example (dns)");
}

TEST_F(NameResolverTest, OwnAddressesNameThemselvesOverDns) {
  auto r = resolver();
  learn(kNetnsHost, "printer.local", "10.0.0.5", NameSource::mdns);
  const ResolvedName n = r.resolve(kNetnsHost, ip("10.0.0.5"), 100);
  EXPECT_EQ(n.fqdn, "node1.example.com");
  EXPECT_EQ(n.source, NameSource::local);
  EXPECT_EQ(n.conflict, "printer.local (mdns)");
}

TEST_F(NameResolverTest, AnAgreeingClaimIsNoConflict) {
  auto r = resolver();
  learn(kNetnsA, "pinned", "10.9.9.9");
  const ResolvedName n = r.resolve(kNetnsA, ip("10.9.9.9"), 100);
  EXPECT_EQ(n.source, NameSource::hosts);
  EXPECT_EQ(n.conflict, "");
}

}  // namespace
}  // namespace procflow
