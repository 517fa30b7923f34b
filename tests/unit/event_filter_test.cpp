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

}  // namespace
}  // namespace procflow
