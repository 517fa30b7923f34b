// `procflow top`'s model: flow events folded into groups, rates spread over
// the time a report covers, filtering and sorting of the rows.
#include <gtest/gtest.h>

#include "ip_literal.h"
#include "top/flow_aggregator.h"
#include "top/top_rows.h"
#include "top/top_text.h"

namespace procflow {
namespace {

using test::ip;

constexpr uint64_t kT0 = 1'700'000'000'000'000;  // UNIX microseconds, on a second
constexpr uint64_t kSecond = 1'000'000;

FlowEvent flow(FlowAction action, uint64_t at_us, uint16_t src_port, uint32_t pid = 100,
               const char* exe = "curl") {
  FlowEvent e;
  e.action = action;
  e.timestamp_us = at_us;
  e.src_ip = ip("10.0.0.1");
  e.dest_ip = ip("10.0.0.2");
  e.src_port = src_port;
  e.dest_port = 443;
  e.pid = pid;
  e.exe = exe;
  e.initiated = true;
  e.start_time_us = at_us;
  return e;
}

FlowEvent end_of(FlowEvent e, uint64_t start_us, uint64_t end_us, uint64_t in, uint64_t out,
                 EndReason reason = EndReason::close) {
  e.action = FlowAction::end;
  e.timestamp_us = end_us;
  e.start_time_us = start_us;
  e.end_time_us = end_us;
  e.in_bytes = in;
  e.out_bytes = out;
  e.end_reason = reason;
  return e;
}

const TopGroup& only_group(const FlowAggregator& m, Grouping g) {
  EXPECT_EQ(m.groups(g).size(), 1u);
  return m.groups(g).begin()->second;
}

TEST(TopAggregator, StartAndEndMakeOneProcessGroup) {
  FlowAggregator m;
  const FlowEvent start = flow(FlowAction::start, kT0, 40000);
  m.add(start);
  EXPECT_EQ(only_group(m, Grouping::process).open, 1u);
  EXPECT_EQ(only_group(m, Grouping::process).label, "100 curl");
  EXPECT_EQ(only_group(m, Grouping::remote).label, "10.0.0.2");
  EXPECT_EQ(only_group(m, Grouping::protocol).label, "TCP/443");
  EXPECT_EQ(m.open_flows(), 1u);

  m.add(end_of(start, kT0, kT0 + 2 * kSecond, 2000, 400));
  const TopGroup& g = only_group(m, Grouping::process);
  EXPECT_EQ(g.open, 0u);
  EXPECT_EQ(g.connections, 1u);
  EXPECT_EQ(g.in_bytes, 2000u);
  EXPECT_EQ(g.out_bytes, 400u);
  EXPECT_EQ(m.open_flows(), 0u);
  ASSERT_EQ(g.flows.size(), 1u);
  const TopFlow* f = m.flow(*g.flows.begin());
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->open);
  EXPECT_EQ(f->local, "10.0.0.1:40000");
  EXPECT_EQ(f->remote, "10.0.0.2:443");
}

TEST(TopAggregator, BytesAreSpreadOverTheTimeTheyCover) {
  FlowAggregator m;
  const FlowEvent start = flow(FlowAction::start, kT0, 40000);
  m.add(start);
  m.add(end_of(start, kT0, kT0 + 4 * kSecond, 4000, 0));
  const TopGroup& g = only_group(m, Grouping::process);
  for (uint64_t s = 0; s < 4; s++)
    EXPECT_DOUBLE_EQ(g.history.at(kT0 / kSecond + s).in_bytes, 1000.0) << s;
  // Four seconds of 1000 B/s, averaged over the last four seconds.
  EXPECT_DOUBLE_EQ(g.history.average(kT0 / kSecond + 3, 4).in_bytes, 1000.0);
  EXPECT_DOUBLE_EQ(g.history.average(kT0 / kSecond + 3, 4).connections, 0.25);
}

TEST(TopAggregator, AnOpenFlowCountsOnlyWhatItReported) {
  FlowAggregator m;
  FlowEvent start = flow(FlowAction::start, kT0, 40000);
  m.add(start);
  // Nothing reported yet: an open flow with no rate.
  EXPECT_EQ(only_group(m, Grouping::process).in_bytes, 0u);
  // An interval report: the period's counters; the flow stays open.
  m.add(end_of(start, kT0, kT0 + kSecond, 500, 50, EndReason::interval));
  FlowEvent next = start;
  next.timestamp_us = kT0 + kSecond;
  next.start_time_us = kT0 + kSecond;
  next.continued = true;
  m.add(next);
  m.add(end_of(start, kT0 + kSecond, kT0 + 2 * kSecond, 700, 70));
  const TopGroup& g = only_group(m, Grouping::process);
  EXPECT_EQ(g.in_bytes, 1200u);
  EXPECT_EQ(g.out_bytes, 120u);
  EXPECT_EQ(g.connections, 1u);  // the continued start is no new connection
  EXPECT_EQ(g.open, 0u);
  EXPECT_DOUBLE_EQ(g.history.at(kT0 / kSecond).in_bytes, 500.0);
  EXPECT_DOUBLE_EQ(g.history.at(kT0 / kSecond + 1).in_bytes, 700.0);
}

TEST(TopAggregator, SnapshotStartsAreOpenButNotNewConnections) {
  FlowAggregator m;
  FlowEvent e = flow(FlowAction::start, kT0, 40000);
  e.snapshot = true;
  m.add(e);
  EXPECT_EQ(only_group(m, Grouping::process).open, 1u);
  EXPECT_EQ(only_group(m, Grouping::process).connections, 0u);
}

TEST(TopAggregator, BothSocketsOfALocalConnectionAreTwoFlows) {
  FlowAggregator m;
  FlowEvent client = flow(FlowAction::start, kT0, 40000, 100, "curl");
  FlowEvent server = flow(FlowAction::start, kT0, 40000, 200, "nginx");
  server.initiated = false;
  m.add(client);
  m.add(server);
  EXPECT_EQ(m.groups(Grouping::process).size(), 2u);
  EXPECT_EQ(m.open_flows(), 2u);
  // The server's remote is the client.
  ASSERT_EQ(m.groups(Grouping::remote).size(), 2u);
  EXPECT_TRUE(m.groups(Grouping::remote).contains("10.0.0.1"));
  m.add(end_of(server, kT0, kT0 + kSecond, 10, 20));
  EXPECT_EQ(m.open_flows(), 1u);
}

TEST(TopAggregator, RemoteGroupUsesTheNameWhenKnown) {
  FlowAggregator m;
  FlowEvent e = flow(FlowAction::start, kT0, 40000);
  e.dest_fqdn = "example.com";
  m.add(e);
  EXPECT_EQ(only_group(m, Grouping::remote).label, "example.com");
  EXPECT_EQ(m.flow(*only_group(m, Grouping::remote).flows.begin())->remote, "example.com:443");
}

TEST(TopAggregator, AMessageMovesTheFlowToItsProtocol) {
  FlowAggregator m;
  FlowEvent e = flow(FlowAction::start, kT0, 40000);
  m.add(e);
  FlowEvent msg = e;
  msg.action = FlowAction::message;
  msg.application_protocol = "TLS";
  m.add(msg);
  const auto& protocols = m.groups(Grouping::protocol);
  ASSERT_TRUE(protocols.contains("TLS"));
  EXPECT_EQ(protocols.at("TLS").open, 1u);
  EXPECT_EQ(protocols.at("TLS").connections, 1u);
  EXPECT_EQ(protocols.at("TCP/443").open, 0u);
  EXPECT_EQ(protocols.at("TCP/443").connections, 0u);
  m.add(end_of(e, kT0, kT0 + kSecond, 100, 10));
  EXPECT_EQ(protocols.at("TLS").in_bytes, 100u);
  EXPECT_EQ(protocols.at("TLS").open, 0u);
}

TEST(TopAggregator, ContainersKeepProcessesApart) {
  FlowAggregator m;
  FlowEvent a = flow(FlowAction::start, kT0, 40000);
  FlowEvent b = flow(FlowAction::start, kT0, 40001);
  b.container_id = "0123456789abcdef0123";
  m.add(a);
  m.add(b);
  ASSERT_EQ(m.groups(Grouping::process).size(), 2u);
  bool seen = false;
  for (const auto& [key, g] : m.groups(Grouping::process))
    seen |= g.label == "100 curl [0123456789ab]";
  EXPECT_TRUE(seen);
}

TEST(TopAggregator, EndedFlowsAndIdleGroupsExpire) {
  FlowAggregator m({.linger_us = 60 * kSecond, .group_idle_us = 120 * kSecond});
  const FlowEvent start = flow(FlowAction::start, kT0, 40000);
  m.add(start);
  m.add(end_of(start, kT0, kT0 + kSecond, 1, 1));
  m.expire(kT0 + 30 * kSecond);
  EXPECT_EQ(only_group(m, Grouping::process).flows.size(), 1u);
  m.expire(kT0 + 62 * kSecond);
  EXPECT_TRUE(only_group(m, Grouping::process).flows.empty());
  EXPECT_EQ(only_group(m, Grouping::process).in_bytes, 1u);  // the totals stay
  m.expire(kT0 + 200 * kSecond);
  EXPECT_TRUE(m.groups(Grouping::process).empty());
}

TEST(TopAggregator, AReusedTupleIsANewConnection) {
  FlowAggregator m;
  const FlowEvent start = flow(FlowAction::start, kT0, 40000);
  m.add(start);
  m.add(end_of(start, kT0, kT0 + kSecond, 1, 1));
  m.add(flow(FlowAction::start, kT0 + 2 * kSecond, 40000));
  EXPECT_EQ(only_group(m, Grouping::process).connections, 2u);
  EXPECT_EQ(only_group(m, Grouping::process).open, 1u);
  EXPECT_EQ(m.open_flows(), 1u);
}

TEST(TopRows, SortedByTheChosenColumnAndFiltered) {
  FlowAggregator m;
  const FlowEvent curl = flow(FlowAction::start, kT0, 40000, 100, "curl");
  const FlowEvent wget = flow(FlowAction::start, kT0, 40001, 200, "wget");
  m.add(curl);
  m.add(wget);
  m.add(end_of(curl, kT0, kT0 + kSecond, 100, 900));
  m.add(end_of(wget, kT0, kT0 + kSecond, 900, 100));
  const uint64_t now = kT0 / kSecond + 1;
  TopQuery q;
  q.sort = Column::in_total;
  auto rows = top_rows(m, q, now);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].group->label, "200 wget");
  q.sort = Column::out_rate;
  rows = top_rows(m, q, now);
  EXPECT_EQ(rows[0].group->label, "100 curl");
  EXPECT_DOUBLE_EQ(rows[0].rates.out_bytes, 900.0 / 5);
  q.sort = Column::name;
  q.descending = false;
  rows = top_rows(m, q, now);
  EXPECT_EQ(rows[0].group->label, "100 curl");
  // By process name, case-insensitively; by port through the flows.
  q.filter = "WGET";
  rows = top_rows(m, q, now);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].group->label, "200 wget");
  q.filter = ":40000";
  rows = top_rows(m, q, now);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].group->label, "100 curl");
  q.filter = "nothing";
  EXPECT_TRUE(top_rows(m, q, now).empty());
}

TEST(TopRows, AnExpandedGroupListsItsFlowsOpenFirst) {
  FlowAggregator m;
  const FlowEvent a = flow(FlowAction::start, kT0, 40000);
  const FlowEvent b = flow(FlowAction::start, kT0, 40001);
  m.add(a);
  m.add(b);
  m.add(end_of(a, kT0, kT0 + kSecond, 5, 5));
  TopQuery q;
  const auto flows = top_flows(m, q, m.groups(Grouping::process).begin()->first);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_TRUE(flows[0]->open);
  EXPECT_EQ(flows[0]->local, "10.0.0.1:40001");
  EXPECT_FALSE(flows[1]->open);
  q.filter = ":40000";
  EXPECT_EQ(top_flows(m, q, m.groups(Grouping::process).begin()->first).size(), 1u);
}

TEST(TopText, SparklineScalesToTheMinuteAndFallsBackToAscii) {
  EXPECT_EQ(sparkline({0, 1, 2, 3, 4, 5}, false), " .:-=#");
  EXPECT_EQ(sparkline({0, 0}, false), "  ");
  EXPECT_EQ(sparkline({0.001, 100}, false), ".#");  // a trickle stays visible
  EXPECT_EQ(sparkline({1, 8}, true), "\u2581\u2588");
}

TEST(TopText, RatesAndTotalsInBinaryUnits) {
  EXPECT_EQ(rate_text(0), "0B/s");
  EXPECT_EQ(rate_text(1536), "1.5KiB/s");
  EXPECT_EQ(bytes_text(100000), "97.6KiB");
  EXPECT_EQ(per_second_text(0.25), "0.2");
  EXPECT_EQ(per_second_text(12.4), "12");
}

TEST(TopText, NamesCannotControlTheTerminal) {
  EXPECT_EQ(printable("a\x1b[2Jb\n", true), "a?[2Jb?");
  EXPECT_EQ(printable("caf\xc3\xa9", true), "caf\xc3\xa9");
  EXPECT_EQ(printable("caf\xc3\xa9", false), "caf?");  // one '?' per character
  EXPECT_EQ(printable("\xff\x80x", true), "?x");
  EXPECT_EQ(fit("caf\xc3\xa9", 5), "caf\xc3\xa9 ");
  EXPECT_EQ(fit("abcdef", 3), "abc");
  EXPECT_EQ(fit("ab", 4, true), "  ab");
}

TEST(TopRows, RateSeriesIsTheLastMinuteOldestFirst) {
  FlowAggregator m;
  const FlowEvent a = flow(FlowAction::start, kT0, 40000);
  m.add(a);
  m.add(end_of(a, kT0, kT0 + kSecond, 10, 5));
  const auto series =
      rate_series(m.groups(Grouping::process).begin()->second, kT0 / kSecond + 2, 3);
  EXPECT_EQ(series, (std::vector<double>{15, 0, 0}));
}

}  // namespace
}  // namespace procflow
