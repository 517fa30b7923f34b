// The ECS writer: every test event is checked against the vendored ecs_flat.yml
// (ecs_validator), and the mapping's exact values are checked by hand.
#include "output/ecs_json.h"

#include <gtest/gtest.h>

#include <string>

#include "schema_test_events.h"
#include "schema_validators.h"

namespace procflow::test {
namespace {

rapidjson::Document ecs(const FlowEvent& e, std::string* line_out = nullptr) {
  std::string line;
  append_ecs_json_line(e, line);
  if (line_out) *line_out = line;
  return parse_line(line);
}

TEST(EcsJson, EveryTestEventIsValidEcs) {
  const auto events = schema_test_events();
  ASSERT_GE(events.size(), 15u);
  for (const NamedEvent& n : events) {
    std::string line;
    const rapidjson::Document doc = ecs(n.event, &line);
    const auto errors = ecs_validator().validate(doc);
    EXPECT_TRUE(errors.empty()) << n.name << ": " << joined(errors) << "\n" << line;
    EXPECT_EQ(text(doc, "ecs.version"), "9.0.0") << n.name;
    EXPECT_EQ(text(doc, "event.kind"), "event") << n.name;
    EXPECT_EQ(strings(doc, "event.category"), std::vector<std::string>{"network"}) << n.name;
  }
}

TEST(EcsJson, EventTypeFollowsActionAndEndReason) {
  using Types = std::vector<std::string>;
  std::map<std::string, Types> expected = {
      {"tcp4_outbound_start", {"connection", "start"}},
      {"tcp4_outbound_end_close", {"connection", "end"}},
      {"tcp6_inbound_end_reset", {"connection", "end"}},
      {"tcp4_end_tracer_stop", {"connection", "info"}},
      {"tcp4_end_interval", {"connection", "info"}},
      {"tcp4_start_continued", {"connection", "info"}},
      {"tcp4_message", {"connection", "protocol"}},
      {"replay_tcp4_end_capture_over", {"connection", "info"}},
  };
  for (const NamedEvent& n : schema_test_events()) {
    auto it = expected.find(n.name);
    if (it == expected.end()) continue;
    EXPECT_EQ(strings(ecs(n.event), "event.type"), it->second) << n.name;
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty()) << "missing test events";
  const rapidjson::Document reset = ecs([] {
    FlowEvent e = inbound_tcp_end();
    e.end_reason = EndReason::reset;
    return e;
  }());
  EXPECT_EQ(text(reset, "event.action"), "end");
  EXPECT_EQ(text(reset, "event.reason"), "reset");
}

TEST(EcsJson, OutboundBytesAreWhatTheLocalSocketSent) {
  const rapidjson::Document doc = ecs(outbound_tcp_end());
  EXPECT_EQ(text(doc, "source.ip"), "10.0.0.54");
  EXPECT_EQ(integer(doc, "source.port"), 50438);
  EXPECT_EQ(integer(doc, "source.bytes"), 1200);
  EXPECT_EQ(text(doc, "destination.ip"), "93.184.216.34");
  EXPECT_EQ(text(doc, "destination.domain"), "www.example.com");
  EXPECT_EQ(integer(doc, "destination.bytes"), 48000);
  EXPECT_EQ(integer(doc, "network.bytes"), 49200);
  EXPECT_EQ(integer(doc, "network.packets"), 60);
  EXPECT_EQ(text(doc, "network.direction"), "egress");
  EXPECT_EQ(text(doc, "network.transport"), "tcp");
  EXPECT_EQ(text(doc, "network.type"), "ipv4");
  EXPECT_EQ(text(doc, "network.iana_number"), "6");
  EXPECT_EQ(text(doc, "network.community_id"), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(text(doc, "@timestamp"), "2026-11-28T05:10:11.123456Z");
  EXPECT_EQ(text(doc, "event.start"), "2026-11-28T05:10:08.623456Z");
  EXPECT_EQ(integer(doc, "event.duration"), 2'500'000'000);
  EXPECT_EQ(text(doc, "procflow.tcp_flags"), "SYN, ACK, PSH, FIN");
}

TEST(EcsJson, InboundBytesAreSwappedToTheSourcesView) {
  const rapidjson::Document doc = ecs(inbound_tcp_end());
  EXPECT_EQ(text(doc, "source.ip"), "198.51.100.7");
  EXPECT_EQ(integer(doc, "source.bytes"), 1200);  // the local socket received these
  EXPECT_EQ(text(doc, "destination.ip"), "10.0.0.54");
  EXPECT_EQ(integer(doc, "destination.bytes"), 48000);  // the local socket sent these
  EXPECT_EQ(text(doc, "network.direction"), "ingress");
  EXPECT_EQ(strings(doc, "host.ip"), std::vector<std::string>{"10.0.0.54"});
  EXPECT_EQ(integer(doc, "procflow.out_bytes"), 48000);
}

TEST(EcsJson, ContainerAndPod) {
  const FlowEvent e = pod_container_tcp_end();
  const rapidjson::Document doc = ecs(e);
  EXPECT_EQ(text(doc, "container.id"), e.container_id);
  EXPECT_EQ(text(doc, "container.name"), "web");
  EXPECT_EQ(text(doc, "container.runtime"), "containerd");
  EXPECT_EQ(text(doc, "orchestrator.type"), "kubernetes");
  EXPECT_EQ(text(doc, "orchestrator.namespace"), "shop");
  EXPECT_EQ(text(doc, "orchestrator.resource.type"), "pod");
  EXPECT_EQ(text(doc, "orchestrator.resource.name"), "web-7d9f");
  EXPECT_EQ(text(doc, "orchestrator.resource.id"), e.pod_uid);
  EXPECT_EQ(integer(doc, "process.vpid"), 7);

  const rapidjson::Document plain = ecs(outbound_tcp_end());
  EXPECT_EQ(at(plain, "container"), nullptr);
  EXPECT_EQ(at(plain, "orchestrator"), nullptr);
  EXPECT_EQ(at(plain, "process.vpid"), nullptr);
}

TEST(EcsJson, ProcessUserHostAndReplay) {
  const rapidjson::Document doc = ecs(outbound_tcp_end());
  EXPECT_EQ(integer(doc, "process.pid"), 4242);
  EXPECT_EQ(text(doc, "process.name"), "curl");
  EXPECT_EQ(text(doc, "process.executable"), "/usr/bin/curl");
  EXPECT_EQ(integer(doc, "process.parent.pid"), 1);
  EXPECT_EQ(text(doc, "user.id"), "1000");
  EXPECT_EQ(text(doc, "user.name"), "alice");
  EXPECT_EQ(text(doc, "host.hostname"), "ws1");
  EXPECT_EQ(text(doc, "host.name"), "ws1.example.com");

  for (const NamedEvent& n : schema_test_events()) {
    const rapidjson::Document d = ecs(n.event);
    if (n.name == "replay_tcp4_end_close") {
      EXPECT_EQ(at(d, "process"), nullptr);
      EXPECT_EQ(at(d, "host"), nullptr);
      EXPECT_EQ(text(d, "network.direction"), "outbound");  // from the internal networks
      EXPECT_EQ(integer(d, "source.bytes"), 1200);
    } else if (n.name == "udp6_outbound_end_close") {
      EXPECT_EQ(text(d, "network.type"), "ipv6");
      EXPECT_EQ(text(d, "network.transport"), "udp");
      EXPECT_EQ(text(d, "network.iana_number"), "17");
    } else if (n.name == "tcp4_comm_only") {
      EXPECT_EQ(text(d, "process.name"), "curl");
      EXPECT_EQ(at(d, "process.executable"), nullptr);
      EXPECT_EQ(at(d, "user"), nullptr);
    } else if (n.name == "tcp4_message") {
      EXPECT_EQ(text(d, "network.protocol"), "http");
      EXPECT_EQ(text(d, "procflow.proto_info"),
                "method=GET; target=/index.html; version=HTTP/1.1; host=www.example.com");
      EXPECT_EQ(text(d, "procflow.message_direction"), "out");
      EXPECT_EQ(text(d, "procflow.content_source"), "wire");
      EXPECT_EQ(text(d, "procflow.dest_fqdn_source"), "http_host");
    }
  }
}

}  // namespace
}  // namespace procflow::test
