// Tests EventFilter, the trace command's --pid/--exe/--port/--host/--actions
// filters: each alone, combined (all given filters must match, any value
// within one), and parse_actions with its errors.
#include "flow/event_filter.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

#include <string>

namespace procflow {
namespace {

using test::ip;

NetworkClassifier hosts(const std::vector<std::string>& cidrs) {
  std::string error;
  auto c = NetworkClassifier::parse(cidrs, &error);
  EXPECT_TRUE(c.has_value()) << error;
  return c.value_or(NetworkClassifier::defaults());
}

// A curl connection from 10.0.0.5:50438 to 93.184.216.34:443, pid 738.
FlowEvent curl_event(FlowAction action = FlowAction::start) {
  FlowEvent e;
  e.action = action;
  e.src_ip = ip("10.0.0.5");
  e.dest_ip = ip("93.184.216.34");
  e.src_port = 50438;
  e.dest_port = 443;
  e.pid = 738;
  e.exe = "curl";
  return e;
}

TEST(EventFilterTest, EmptyFilterPassesEverything) {
  EventFilter f;
  EXPECT_TRUE(f.matches(curl_event()));
  EXPECT_TRUE(f.matches(curl_event(FlowAction::end)));
  EXPECT_TRUE(f.matches(FlowEvent{}));
}

TEST(EventFilterTest, PidMatchesAnyListedPid) {
  EventFilter f;
  f.pids = {1, 738};
  EXPECT_TRUE(f.matches(curl_event()));
  f.pids = {739};
  EXPECT_FALSE(f.matches(curl_event()));
}

TEST(EventFilterTest, PidFilterRejectsEventsWithoutPid) {
  EventFilter f;
  f.pids = {0};
  FlowEvent e = curl_event();
  e.pid.reset();
  EXPECT_FALSE(f.matches(e));
  e.pid = 0;
  EXPECT_TRUE(f.matches(e));
}

TEST(EventFilterTest, ExeMatchesExactBasename) {
  EventFilter f;
  f.exes = {"wget", "curl"};
  EXPECT_TRUE(f.matches(curl_event()));
  f.exes = {"cur"};
  EXPECT_FALSE(f.matches(curl_event()));
  f.exes = {"Curl"};
  EXPECT_FALSE(f.matches(curl_event()));
  FlowEvent unknown = curl_event();
  unknown.exe = "";
  f.exes = {"curl"};
  EXPECT_FALSE(f.matches(unknown));
}

TEST(EventFilterTest, PortMatchesSourceOrDestination) {
  EventFilter f;
  f.ports = {443};
  EXPECT_TRUE(f.matches(curl_event()));
  f.ports = {50438};
  EXPECT_TRUE(f.matches(curl_event()));
  f.ports = {80, 8080};
  EXPECT_FALSE(f.matches(curl_event()));
  f.ports = {80, 443};
  EXPECT_TRUE(f.matches(curl_event()));
}

TEST(EventFilterTest, HostMatchesSourceOrDestinationInCidr) {
  EventFilter f;
  f.hosts = hosts({"93.184.216.0/24"});
  EXPECT_TRUE(f.matches(curl_event()));
  f.hosts = hosts({"10.0.0.5"});
  EXPECT_TRUE(f.matches(curl_event()));
  f.hosts = hosts({"10.0.0.6", "192.168.0.0/16"});
  EXPECT_FALSE(f.matches(curl_event()));
  f.hosts = hosts({"2001:db8::/32"});
  EXPECT_FALSE(f.matches(curl_event()));
}

TEST(EventFilterTest, HostMatchesIpv4MappedAddressAsIpv4) {
  EventFilter f;
  f.hosts = hosts({"10.0.0.0/8"});
  FlowEvent e = curl_event();
  e.src_ip = ip("::ffff:10.0.0.5");
  EXPECT_TRUE(f.matches(e));
}

TEST(EventFilterTest, HostFilterRejectsEventWithoutAddresses) {
  EventFilter f;
  f.hosts = hosts({"0.0.0.0/0", "::/0"});
  EXPECT_FALSE(f.matches(FlowEvent{}));
  EXPECT_TRUE(f.matches(curl_event()));
}

TEST(EventFilterTest, ActionsSelectEventKinds) {
  EventFilter f;
  f.actions = {FlowAction::end};
  EXPECT_FALSE(f.matches(curl_event(FlowAction::start)));
  EXPECT_FALSE(f.matches(curl_event(FlowAction::message)));
  EXPECT_TRUE(f.matches(curl_event(FlowAction::end)));
}

TEST(EventFilterTest, CombinedFiltersMustAllMatch) {
  EventFilter f;
  f.pids = {738};
  f.exes = {"curl"};
  f.ports = {443};
  f.hosts = hosts({"93.184.216.34"});
  f.actions = {FlowAction::start, FlowAction::end};
  EXPECT_TRUE(f.matches(curl_event()));
  EXPECT_TRUE(f.matches(curl_event(FlowAction::end)));
  EXPECT_FALSE(f.matches(curl_event(FlowAction::message)));

  FlowEvent other_pid = curl_event();
  other_pid.pid = 1;
  EXPECT_FALSE(f.matches(other_pid));
  FlowEvent other_exe = curl_event();
  other_exe.exe = "wget";
  EXPECT_FALSE(f.matches(other_exe));
  FlowEvent other_port = curl_event();
  other_port.dest_port = 80;
  EXPECT_FALSE(f.matches(other_port));
  FlowEvent other_host = curl_event();
  other_host.dest_ip = ip("93.184.216.35");
  EXPECT_FALSE(f.matches(other_host));
}

TEST(EventFilterTest, ParseActionsSingleAndList) {
  EventFilter f;
  std::string error;
  ASSERT_TRUE(f.parse_actions("end", &error)) << error;
  EXPECT_EQ(f.actions, (std::set<FlowAction>{FlowAction::end}));

  EventFilter all;
  ASSERT_TRUE(all.parse_actions("start,message,end", &error)) << error;
  EXPECT_EQ(all.actions,
            (std::set<FlowAction>{FlowAction::start, FlowAction::message, FlowAction::end}));
  EXPECT_TRUE(error.empty());
}

TEST(EventFilterTest, ParseActionsDuplicatesAreHarmless) {
  EventFilter f;
  std::string error;
  ASSERT_TRUE(f.parse_actions("start,start", &error));
  EXPECT_EQ(f.actions, (std::set<FlowAction>{FlowAction::start}));
}

TEST(EventFilterTest, ParseActionsEmptyListMeansAll) {
  EventFilter f;
  std::string error;
  ASSERT_TRUE(f.parse_actions("", &error));
  EXPECT_TRUE(f.actions.empty());
  EXPECT_TRUE(f.matches(curl_event(FlowAction::message)));
}

TEST(EventFilterTest, ParseActionsRejectsUnknownName) {
  EventFilter f;
  std::string error;
  EXPECT_FALSE(f.parse_actions("start,close", &error));
  EXPECT_EQ(error, "unknown action 'close' (expected start, message or end)");
}

TEST(EventFilterTest, ParseActionsIsCaseSensitive) {
  EventFilter f;
  std::string error;
  EXPECT_FALSE(f.parse_actions("Start", &error));
  EXPECT_EQ(error, "unknown action 'Start' (expected start, message or end)");
}

TEST(EventFilterTest, ParseActionsRejectsEmptyItemInTheMiddle) {
  EventFilter f;
  std::string error;
  EXPECT_FALSE(f.parse_actions("start,,end", &error));
  EXPECT_EQ(error, "unknown action '' (expected start, message or end)");
}

TEST(EventFilterTest, ParseActionsRejectsSpacesAroundNames) {
  EventFilter f;
  std::string error;
  EXPECT_FALSE(f.parse_actions("start, end", &error));
  EXPECT_EQ(error, "unknown action ' end' (expected start, message or end)");
}

// The service config's exclusions: any listed value of any criterion rules an
// event out, whatever the include side says.
TEST(EventFilterTest, ExclusionsRuleOutWhateverTheyList) {
  EventFilter f;
  f.ports = {443};
  f.exclude.exes = {"curl"};
  EXPECT_FALSE(f.matches(curl_event()));
  FlowEvent wget = curl_event();
  wget.exe = "wget";
  EXPECT_TRUE(f.matches(wget));
  // Known at the flow's start: decided before any event is built.
  EXPECT_FALSE(f.matches_flow(ip("10.0.0.5"), ip("93.184.216.34"), 50438, 443, 738, "curl"));
  EXPECT_TRUE(f.matches_flow(ip("10.0.0.5"), ip("93.184.216.34"), 50438, 443, 738, "wget"));

  EventFilter by_user;
  by_user.exclude.uids = {0};
  by_user.exclude.actions = {FlowAction::start};
  FlowEvent root_end = curl_event(FlowAction::end);
  root_end.uid = 0;
  EXPECT_FALSE(by_user.matches(root_end));
  FlowEvent user_end = curl_event(FlowAction::end);
  user_end.uid = 1000;
  EXPECT_TRUE(by_user.matches(user_end));
  EXPECT_FALSE(by_user.matches(curl_event(FlowAction::start)));
  // uid is not known before the event: the flow-level check leaves it open.
  EXPECT_TRUE(by_user.matches_flow(ip("10.0.0.5"), ip("93.184.216.34"), 50438, 443, 738, "curl"));

  EventFilter by_net;
  by_net.exclude.hosts = hosts({"93.184.216.0/24"});
  EXPECT_FALSE(by_net.matches(curl_event()));
  EXPECT_TRUE(by_net.filters_flows());
}

TEST(EventFilterTest, UsersUidsAndDirectionsInclude) {
  EventFilter f;
  f.users = {"alice"};
  f.directions = {NetworkDirection::out};
  FlowEvent e = curl_event();
  e.user = "alice";
  e.network_direction = NetworkDirection::out;
  EXPECT_TRUE(f.matches(e));
  e.network_direction = NetworkDirection::in;
  EXPECT_FALSE(f.matches(e));
  e.network_direction = NetworkDirection::out;
  e.user = "bob";
  EXPECT_FALSE(f.matches(e));
  EXPECT_FALSE(f.filters_flows()) << "neither is known before the first event";

  EventFilter uid;
  uid.uids = {1000};
  EXPECT_FALSE(uid.matches(curl_event())) << "no uid known";
  FlowEvent mine = curl_event();
  mine.uid = 1000;
  EXPECT_TRUE(uid.matches(mine));
}

TEST(EventFilterTest, NamesOfActionsAndDirections) {
  EXPECT_EQ(parse_flow_action("message"), FlowAction::message);
  EXPECT_FALSE(parse_flow_action("stop"));
  EXPECT_EQ(parse_network_direction("external"), NetworkDirection::external);
  EXPECT_FALSE(parse_network_direction("inbound"));
}

}  // namespace
}  // namespace procflow
