// Tests DnsCache: which name an answered address gets (the asked one, with
// the CNAME chain's end as canonical), loops, what teaches nothing, TTL floor
// and cap, LRU order, per-namespace scopes with the scope-0 fallback, and
// memory accounting.
#include "enrich/dns_cache.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace procflow {
namespace {

using test::ip;

DnsRecord a_record(const std::string& name, const char* address, uint32_t ttl = 300) {
  DnsRecord r;
  r.name = name;
  r.address = ip(address);
  r.type = r.address.family == 4 ? dns_type::a : dns_type::aaaa;
  r.ttl = ttl;
  return r;
}

DnsRecord cname(const std::string& name, const std::string& target, uint32_t ttl = 300) {
  DnsRecord r;
  r.name = name;
  r.type = dns_type::cname;
  r.target = target;
  r.ttl = ttl;
  return r;
}

DnsMessage response(const std::string& question, std::vector<DnsRecord> answers) {
  DnsMessage m;
  m.is_response = true;
  m.question = question;
  m.qtype = dns_type::a;
  m.answers = std::move(answers);
  return m;
}

constexpr uint64_t kNow = 1'000'000;

std::string fqdn_of(DnsCache& c, const char* address, uint64_t scope = 0, uint64_t now = kNow) {
  const auto n = c.lookup(scope, ip(address), now);
  return n ? n->fqdn : "<none>";
}

TEST(DnsCacheTest, MapsAAndAaaaToTheQuestion) {
  DnsCache c;
  c.add(0,
        response("www.example.com", {a_record("www.example.com", "192.0.2.1"),
                                     a_record("www.example.com", "2001:db8::1")}),
        kNow);
  EXPECT_EQ(c.size(), 2u);
  const auto n = c.lookup(0, ip("192.0.2.1"), kNow);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->fqdn, "www.example.com");
  EXPECT_EQ(n->canonical, "") << "no CNAME: the asked name is canonical";
  EXPECT_EQ(fqdn_of(c, "2001:db8::1"), "www.example.com");
  EXPECT_EQ(fqdn_of(c, "192.0.2.2"), "<none>");
}

TEST(DnsCacheTest, CnameChainAskedNameWinsCanonicalKept) {
  DnsCache c;
  c.add(0,
        response("www.example.com", {cname("www.example.com", "edge.example.net"),
                                     cname("edge.example.net", "e1.cdn.example.org"),
                                     a_record("e1.cdn.example.org", "192.0.2.10"),
                                     a_record("e1.cdn.example.org", "2001:db8::10")}),
        kNow);
  for (const char* a : {"192.0.2.10", "2001:db8::10"}) {
    const auto n = c.lookup(0, ip(a), kNow);
    ASSERT_TRUE(n) << a;
    EXPECT_EQ(n->fqdn, "www.example.com");
    EXPECT_EQ(n->canonical, "e1.cdn.example.org");
  }
}

TEST(DnsCacheTest, ChainOrderInTheMessageDoesNotMatter) {
  DnsCache c;
  c.add(0,
        response("a.example", {a_record("c.example", "192.0.2.3"), cname("b.example", "c.example"),
                               cname("a.example", "b.example")}),
        kNow);
  const auto n = c.lookup(0, ip("192.0.2.3"), kNow);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->fqdn, "a.example");
  EXPECT_EQ(n->canonical, "c.example");
}

TEST(DnsCacheTest, CnameLoopTerminatesAndNamesOnlyReachableRecords) {
  DnsCache c;
  c.add(0,
        response("a.example", {cname("a.example", "b.example"), cname("b.example", "a.example"),
                               a_record("b.example", "192.0.2.1")}),
        kNow);
  // b.example is on the (looping) chain: its address is named by the question.
  EXPECT_EQ(fqdn_of(c, "192.0.2.1"), "a.example");

  c.add(0, response("x.example", {cname("x.example", "x.example")}), kNow);  // self-loop
  EXPECT_EQ(c.size(), 1u);
}

TEST(DnsCacheTest, ChainDepthIsBounded) {
  DnsCacheConfig config;
  config.max_chain_depth = 3;
  DnsCache c(config);
  std::vector<DnsRecord> answers;
  const std::vector<std::string> names = {"n0", "n1", "n2", "n3", "n4", "n5", "n6"};
  for (size_t i = 0; i + 1 < names.size(); ++i) answers.push_back(cname(names[i], names[i + 1]));
  answers.push_back(a_record("n3", "192.0.2.3"));  // 3 hops: reachable
  answers.push_back(a_record("n6", "192.0.2.6"));  // 6 hops: beyond the bound
  c.add(0, response("n0", answers), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.3"), "n0");
  EXPECT_EQ(fqdn_of(c, "192.0.2.6"), "<none>");
}

TEST(DnsCacheTest, RecordsOffTheChainAreIgnored) {
  DnsCache c;
  c.add(0,
        response("www.example.com", {a_record("www.example.com", "192.0.2.1"),
                                     a_record("bank.example", "192.0.2.66")}),
        kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.1"), "www.example.com");
  EXPECT_EQ(fqdn_of(c, "192.0.2.66"), "<none>");
}

TEST(DnsCacheTest, WithoutQuestionRecordsNameThemselves) {
  DnsCache c;  // mDNS-style
  c.add(0, response("", {a_record("printer.local", "192.168.1.50")}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.168.1.50"), "printer.local");
}

TEST(DnsCacheTest, NxdomainQueriesAndEmptyAnswersAddNothing) {
  DnsCache c;
  auto nx = response("www.example.com", {a_record("www.example.com", "192.0.2.1")});
  nx.rcode = dns_rcode::nxdomain;
  c.add(0, nx, kNow);
  auto query = response("www.example.com", {a_record("www.example.com", "192.0.2.1")});
  query.is_response = false;
  c.add(0, query, kNow);
  auto iquery = response("www.example.com", {a_record("www.example.com", "192.0.2.1")});
  iquery.opcode = 1;
  c.add(0, iquery, kNow);
  c.add(0, response("www.example.com", {}), kNow);
  c.add(0, response("www.example.com", {cname("www.example.com", "x.example")}), kNow);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.lookup(0, ip("192.0.2.1"), kNow));
}

TEST(DnsCacheTest, TtlExpiryWithFloor) {
  DnsCache c;  // floor 60 s
  c.add(0, response("short.example", {a_record("short.example", "192.0.2.1", 5)}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow + 5), "short.example") << "the floor keeps it";
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow + 59), "short.example");
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow + 60), "<none>");
  EXPECT_EQ(c.size(), 0u) << "an expired entry is dropped when found";

  c.add(0, response("long.example", {a_record("long.example", "192.0.2.2", 600)}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.2", 0, kNow + 599), "long.example");
  EXPECT_EQ(fqdn_of(c, "192.0.2.2", 0, kNow + 600), "<none>");
}

TEST(DnsCacheTest, TtlFloorAndCapConfigurable) {
  DnsCacheConfig config;
  config.ttl_floor_s = 0;
  config.ttl_cap_s = 100;
  DnsCache c(config);
  c.add(0, response("z.example", {a_record("z.example", "192.0.2.1", 0)}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow), "<none>") << "TTL 0 and no floor: never valid";
  c.add(0, response("big.example", {a_record("big.example", "192.0.2.2", 2'000'000'000)}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.2", 0, kNow + 99), "big.example");
  EXPECT_EQ(fqdn_of(c, "192.0.2.2", 0, kNow + 100), "<none>") << "capped at 100 s";
}

TEST(DnsCacheTest, ChainTtlIsTheSmallestHop) {
  DnsCacheConfig config;
  config.ttl_floor_s = 1;
  DnsCache c(config);
  c.add(0,
        response("a.example",
                 {cname("a.example", "b.example", 30), a_record("b.example", "192.0.2.1", 3600)}),
        kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow + 29), "a.example");
  EXPECT_EQ(fqdn_of(c, "192.0.2.1", 0, kNow + 30), "<none>");
}

TEST(DnsCacheTest, NewerAnswerReplacesOlder) {
  DnsCache c;
  c.add(0, response("one.example", {a_record("one.example", "192.0.2.1")}), kNow);
  c.add(0, response("two.example", {a_record("two.example", "192.0.2.1")}), kNow + 1);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(fqdn_of(c, "192.0.2.1"), "two.example");
}

TEST(DnsCacheTest, LruEvictionOrder) {
  DnsCacheConfig config;
  config.max_entries = 3;
  DnsCache c(config);
  auto add = [&](const char* name, const char* a) {
    c.add(0, response(name, {a_record(name, a)}), kNow);
  };
  add("a", "10.0.0.1");
  add("b", "10.0.0.2");
  add("c", "10.0.0.3");
  EXPECT_EQ(fqdn_of(c, "10.0.0.1"), "a");  // a is now the most recently used
  add("d", "10.0.0.4");                    // evicts b, the least recently used
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_EQ(fqdn_of(c, "10.0.0.2"), "<none>");
  EXPECT_EQ(fqdn_of(c, "10.0.0.3"), "c");  // order now: c, d, a (most recent first)
  add("e", "10.0.0.5");                    // evicts a
  EXPECT_EQ(fqdn_of(c, "10.0.0.1"), "<none>");
  EXPECT_EQ(fqdn_of(c, "10.0.0.4"), "d");
  EXPECT_EQ(fqdn_of(c, "10.0.0.5"), "e");
  EXPECT_EQ(c.evictions(), 2u);

  add("c2", "10.0.0.3");  // refresh of a present address: no eviction
  EXPECT_EQ(c.evictions(), 2u);
  EXPECT_EQ(fqdn_of(c, "10.0.0.3"), "c2");
}

TEST(DnsCacheTest, ZeroEntriesDisablesTheCache) {
  DnsCacheConfig config;
  config.max_entries = 0;
  DnsCache c(config);
  c.add(0, response("a", {a_record("a", "10.0.0.1")}), kNow);
  EXPECT_EQ(c.size(), 0u);
}

TEST(DnsCacheTest, ScopeFallsBackToScopeZero) {
  DnsCache c;
  constexpr uint64_t kNsA = 4026532001, kNsB = 4026532002;
  c.add(kNsA, response("in-a.example", {a_record("in-a.example", "10.0.0.2")}), kNow);
  c.add(kNsB, response("in-b.example", {a_record("in-b.example", "10.0.0.2")}), kNow);
  c.add(0,
        response("host.example",
                 {a_record("host.example", "10.0.0.2"), a_record("host.example", "10.0.0.3")}),
        kNow);
  // Same address, three meanings: each namespace sees its own.
  EXPECT_EQ(fqdn_of(c, "10.0.0.2", kNsA), "in-a.example");
  EXPECT_EQ(fqdn_of(c, "10.0.0.2", kNsB), "in-b.example");
  EXPECT_EQ(fqdn_of(c, "10.0.0.2", 0), "host.example");
  // Unknown in the namespace: the host's answer (scope 0) names it.
  EXPECT_EQ(fqdn_of(c, "10.0.0.3", kNsA), "host.example");
  // But a namespace's answer never leaks to another namespace or to the host.
  c.add(kNsA, response("only-a.example", {a_record("only-a.example", "10.0.0.9")}), kNow);
  EXPECT_EQ(fqdn_of(c, "10.0.0.9", kNsB), "<none>");
  EXPECT_EQ(fqdn_of(c, "10.0.0.9", 0), "<none>");
}

TEST(DnsCacheTest, ExpiredScopedEntryFallsBackToScopeZero) {
  DnsCache c;
  c.add(7, response("ns.example", {a_record("ns.example", "10.0.0.2", 60)}), kNow);
  c.add(0, response("host.example", {a_record("host.example", "10.0.0.2", 3600)}), kNow);
  EXPECT_EQ(fqdn_of(c, "10.0.0.2", 7, kNow + 61), "host.example");
}

TEST(DnsCacheTest, Ipv4MappedLookedUpAsIpv4) {
  DnsCache c;
  c.add(0, response("v4.example", {a_record("v4.example", "192.0.2.1")}), kNow);
  EXPECT_EQ(fqdn_of(c, "::ffff:192.0.2.1"), "v4.example");
  // A mapped address in an AAAA answer is stored as the IPv4 address it is.
  c.add(0, response("m.example", {a_record("m.example", "::ffff:192.0.2.7")}), kNow);
  EXPECT_EQ(fqdn_of(c, "192.0.2.7"), "m.example");
  EXPECT_FALSE(c.lookup(0, IpAddress{}, kNow));
}

TEST(DnsCacheTest, MemoryBytesTracksEntries) {
  DnsCacheConfig config;
  config.max_entries = 1000;
  DnsCache c(config);
  const size_t empty = c.memory_bytes();
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "host-" + std::to_string(i) + ".a-long-enough-domain.example";
    IpAddress a = ip("10.0.0.0");
    a.bytes[2] = static_cast<uint8_t>(i >> 8);
    a.bytes[3] = static_cast<uint8_t>(i);
    DnsRecord r = a_record(name, "10.0.0.0");
    r.address = a;
    c.add(0, response(name, {r}), kNow);
  }
  const size_t full = c.memory_bytes();
  const size_t per_entry = (full - empty) / 1000;
  // Two nodes plus a heap-allocated name: between 150 and 400 bytes each.
  EXPECT_GT(per_entry, 150u);
  EXPECT_LT(per_entry, 400u);
  // Evicting keeps the accounting in step.
  c.add(0, response("x.example", {a_record("x.example", "192.0.2.1")}), kNow);
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_LE(c.memory_bytes(), full + 64);
}

}  // namespace
}  // namespace procflow
