// Tests DnsQueryTracker: which DNS answers are believed. An answer must come
// from the server a query went to, to the port it came from, over the same
// transport, with its transaction id and question, within the window; group
// queries (mDNS, LLMNR) may be answered by any responder once each; mDNS
// announcements to the group are believed (the caller checks the link).
// Everything else is rejected and counted by reason.
#include "enrich/dns_query_tracker.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1'000'000'000;

using test::ip;

DnsWireMessage wire(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                    uint64_t time_ns, uint8_t proto = ip_proto_udp) {
  DnsWireMessage w;
  w.src = ip(src);
  w.dst = ip(dst);
  w.sport = sport;
  w.dport = dport;
  w.proto = proto;
  w.ifindex = 7;
  w.time_ns = time_ns;
  return w;
}

DnsMessage message(uint16_t id, const char* name, bool response, uint16_t qtype = dns_type::a) {
  DnsMessage m;
  m.id = id;
  m.question = name;
  m.qtype = qtype;
  m.is_response = response;
  return m;
}

class DnsQueryTrackerTest : public ::testing::Test {
 protected:
  // A resolver at 10.0.0.2:40000 asks 10.0.0.53:53 for www.example.com.
  void ask(uint16_t id = 0x1234, const char* name = "www.example.com", uint64_t t = 100 * kSec) {
    tracker_.on_query(wire("10.0.0.2", 40000, "10.0.0.53", 53, t), message(id, name, false));
  }
  DnsAnswerCheck answer(uint16_t id = 0x1234, const char* name = "www.example.com",
                        uint64_t t = 100 * kSec + 5 * kMs, const char* from = "10.0.0.53",
                        uint16_t sport = 53, uint16_t dport = 40000) {
    return tracker_.check_answer(wire(from, sport, "10.0.0.2", dport, t), message(id, name, true));
  }
  DnsQueryTracker tracker_;
};

TEST_F(DnsQueryTrackerTest, TheAnswerToAQueryIsAcceptedWithItsQuerier) {
  ask();
  const auto check = answer();
  EXPECT_EQ(check.verdict, DnsVerdict::accepted);
  EXPECT_EQ(check.source, NameSource::dns);
  EXPECT_EQ(check.querier, ip("10.0.0.2"));
  EXPECT_EQ(check.querier_port, 40000);
  EXPECT_EQ(check.server, ip("10.0.0.53"));
  EXPECT_EQ(check.server_port, 53);
  EXPECT_EQ(tracker_.rejected(), 0u);
}

TEST_F(DnsQueryTrackerTest, AnUnsolicitedAnswerIsRejected) {
  EXPECT_EQ(answer().verdict, DnsVerdict::unsolicited);
  EXPECT_EQ(tracker_.count(DnsVerdict::unsolicited), 1u);
  EXPECT_EQ(tracker_.rejected(), 1u);
}

TEST_F(DnsQueryTrackerTest, AnswersFromAnotherServerPortOrTransportAreUnsolicited) {
  ask();
  EXPECT_EQ(answer(0x1234, "www.example.com", 100 * kSec, "10.0.0.54").verdict,
            DnsVerdict::unsolicited);
  EXPECT_EQ(answer(0x1234, "www.example.com", 100 * kSec, "10.0.0.53", 5353).verdict,
            DnsVerdict::unsolicited);
  EXPECT_EQ(answer(0x1234, "www.example.com", 100 * kSec, "10.0.0.53", 53, 40001).verdict,
            DnsVerdict::unsolicited);
  EXPECT_EQ(tracker_
                .check_answer(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec, ip_proto_tcp),
                              message(0x1234, "www.example.com", true))
                .verdict,
            DnsVerdict::unsolicited);
  // The real one is still good.
  EXPECT_EQ(answer().verdict, DnsVerdict::accepted);
}

TEST_F(DnsQueryTrackerTest, AWrongTransactionIdIsRejected) {
  ask();
  EXPECT_EQ(answer(0x1235).verdict, DnsVerdict::wrong_id);
  EXPECT_EQ(tracker_.count(DnsVerdict::wrong_id), 1u);
}

TEST_F(DnsQueryTrackerTest, AnAnswerToAQuestionNotAskedIsRejected) {
  ask();
  EXPECT_EQ(answer(0x1234, "bank.example").verdict, DnsVerdict::unasked_name);
  auto other_type = message(0x1234, "www.example.com", true, dns_type::aaaa);
  EXPECT_EQ(tracker_.check_answer(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), other_type)
                .verdict,
            DnsVerdict::unasked_name);
  EXPECT_EQ(tracker_.count(DnsVerdict::unasked_name), 2u);
}

TEST_F(DnsQueryTrackerTest, ALateAnswerIsRejected) {
  ask();
  EXPECT_EQ(answer(0x1234, "www.example.com", 100 * kSec + 10 * kSec + 1).verdict,
            DnsVerdict::late);
}

TEST_F(DnsQueryTrackerTest, TheWindowRunsFromTheLatestRetry) {
  ask(0x1234, "www.example.com", 100 * kSec);
  ask(0x1234, "www.example.com", 105 * kSec);  // glibc retries with the same id
  EXPECT_EQ(answer(0x1234, "www.example.com", 114 * kSec).verdict, DnsVerdict::accepted);
  EXPECT_EQ(tracker_.outstanding(), 1u);
}

TEST_F(DnsQueryTrackerTest, EachQueryIsAnsweredOnceAndCopiesAreDuplicates) {
  ask();
  EXPECT_EQ(answer().verdict, DnsVerdict::accepted);
  EXPECT_EQ(answer().verdict, DnsVerdict::duplicate);  // seen on a second interface
  EXPECT_EQ(tracker_.count(DnsVerdict::duplicate), 1u);
  EXPECT_EQ(tracker_.rejected(), 0u);  // a duplicate is no attack
}

// A spoofer who loses the race sends its answer after the real one: same
// endpoints, id and question, other addresses. Not a harmless copy.
TEST_F(DnsQueryTrackerTest, ADifferentSecondAnswerIsRejectedNotADuplicate) {
  ask();
  DnsMessage real = message(0x1234, "www.example.com", true);
  DnsRecord r;
  r.name = "www.example.com";
  r.type = dns_type::a;
  r.address = ip("192.0.2.1");
  real.answers = {r};
  DnsMessage forged = real;
  forged.answers[0].address = ip("127.0.0.1");
  const auto at = wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec);
  EXPECT_EQ(tracker_.check_answer(at, real).verdict, DnsVerdict::accepted);
  EXPECT_EQ(tracker_.check_answer(at, forged).verdict, DnsVerdict::conflicting);
  EXPECT_EQ(tracker_.check_answer(at, real).verdict, DnsVerdict::duplicate);
  EXPECT_EQ(tracker_.count(DnsVerdict::conflicting), 1u);
  EXPECT_EQ(tracker_.rejected(), 1u);
}

TEST_F(DnsQueryTrackerTest, ParallelQueriesOnOneSocketAreMatchedById) {
  ask(0x0a0a, "www.example.com");
  tracker_.on_query(wire("10.0.0.2", 40000, "10.0.0.53", 53, 100 * kSec),
                    message(0x0b0b, "www.example.com", false, dns_type::aaaa));
  auto aaaa = message(0x0b0b, "www.example.com", true, dns_type::aaaa);
  EXPECT_EQ(
      tracker_.check_answer(wire("10.0.0.53", 53, "10.0.0.2", 40000, 100 * kSec), aaaa).verdict,
      DnsVerdict::accepted);
  EXPECT_EQ(answer(0x0a0a).verdict, DnsVerdict::accepted);
}

TEST_F(DnsQueryTrackerTest, LlmnrGroupQueriesAreAnsweredByAnyResponderOnce) {
  tracker_.on_query(wire("10.0.0.2", 50000, "224.0.0.252", 5355, 100 * kSec),
                    message(7, "printer", false));
  auto check = tracker_.check_answer(wire("10.0.0.9", 5355, "10.0.0.2", 50000, 100 * kSec),
                                     message(7, "printer", true));
  EXPECT_EQ(check.verdict, DnsVerdict::accepted);
  EXPECT_EQ(check.source, NameSource::llmnr);
  EXPECT_TRUE(check.multicast_query);
  EXPECT_EQ(check.server, ip("224.0.0.252"));  // where the query went: finds the socket
  EXPECT_EQ(check.server_port, 5355);
  EXPECT_EQ(tracker_
                .check_answer(wire("10.0.0.9", 5355, "10.0.0.2", 50000, 100 * kSec),
                              message(7, "printer", true))
                .verdict,
            DnsVerdict::duplicate);
  // From port 53 it answers no group query.
  EXPECT_EQ(tracker_
                .check_answer(wire("10.0.0.9", 53, "10.0.0.2", 50000, 100 * kSec),
                              message(7, "printer", true))
                .verdict,
            DnsVerdict::unsolicited);
}

TEST_F(DnsQueryTrackerTest, UnicastFromTheMdnsPortIsNoAnnouncement) {
  // Any local user may send from 5353: to a unicast address that names nothing.
  auto check = tracker_.check_answer(wire("10.0.0.66", 5353, "10.0.0.2", 40000, 100 * kSec),
                                     message(0, "bank.example", true));
  EXPECT_EQ(check.verdict, DnsVerdict::unsolicited);
}

TEST_F(DnsQueryTrackerTest, MdnsAnnouncementsToTheGroupAreLeftToTheLinkCheck) {
  auto check = tracker_.check_answer(wire("10.0.0.9", 5353, "224.0.0.251", 5353, 100 * kSec),
                                     message(0, "", true));
  EXPECT_EQ(check.verdict, DnsVerdict::accepted);
  EXPECT_EQ(check.source, NameSource::mdns);
  EXPECT_TRUE(check.unsolicited_mdns);
  EXPECT_TRUE(DnsQueryTracker::is_mdns_group(ip("ff02::fb")));
  EXPECT_TRUE(DnsQueryTracker::is_llmnr_group(ip("ff02::1:3")));
  EXPECT_FALSE(DnsQueryTracker::is_mdns_group(ip("224.0.0.252")));
}

TEST_F(DnsQueryTrackerTest, OldQueriesAreForgottenAndTheirAnswersUnsolicited) {
  ask();
  tracker_.expire(100 * kSec + 21 * kSec);
  EXPECT_EQ(tracker_.outstanding(), 0u);
  EXPECT_EQ(answer(0x1234, "www.example.com", 121 * kSec).verdict, DnsVerdict::unsolicited);
}

TEST(DnsQueryTrackerBoundsTest, AFloodOfQueriesEvictsTheOldestAndCountsThem) {
  DnsQueryTrackerConfig config;
  config.max_outstanding = 4;
  DnsQueryTracker t(config);
  for (uint16_t i = 0; i < 10; i++)
    t.on_query(wire("10.0.0.2", static_cast<uint16_t>(40000 + i), "10.0.0.53", 53, i * kMs),
               message(i, "www.example.com", false));
  EXPECT_EQ(t.outstanding(), 4u);
  EXPECT_EQ(t.queries_evicted(), 6u);
  EXPECT_EQ(t.queries_seen(), 10u);
  // The newest are kept, the oldest answer nothing.
  EXPECT_EQ(t.check_answer(wire("10.0.0.53", 53, "10.0.0.2", 40009, 10 * kMs),
                           message(9, "www.example.com", true))
                .verdict,
            DnsVerdict::accepted);
  EXPECT_EQ(t.check_answer(wire("10.0.0.53", 53, "10.0.0.2", 40000, 10 * kMs),
                           message(0, "www.example.com", true))
                .verdict,
            DnsVerdict::unsolicited);
}

TEST(DnsVerdictTest, EveryVerdictHasWords) {
  for (size_t i = 0; i < dns_verdict_count; i++)
    EXPECT_FALSE(to_string(static_cast<DnsVerdict>(i)).empty()) << i;
}

}  // namespace
}  // namespace procflow
