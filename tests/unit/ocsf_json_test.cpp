// The OCSF writer: every test event is checked against the vendored OCSF 1.8 definitions
// (ocsf_validator), and the mapping's exact values (activity, orientation of bytes and
// endpoints, direction) are checked by hand.
#include "output/ocsf_json.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "schema_test_events.h"
#include "schema_validators.h"

namespace procflow::test {
namespace {

rapidjson::Document ocsf(const FlowEvent& e, std::string* line_out = nullptr) {
  std::string line;
  append_ocsf_json_line(e, line);
  if (line_out) *line_out = line;
  return parse_line(line);
}

TEST(OcsfJson, EveryTestEventIsValidNetworkActivity) {
  const auto events = schema_test_events();
  ASSERT_GE(events.size(), 15u);
  for (const NamedEvent& n : events) {
    std::string line;
    const rapidjson::Document doc = ocsf(n.event, &line);
    const auto errors = ocsf_validator().validate(doc);
    EXPECT_TRUE(errors.empty()) << n.name << ": " << joined(errors) << "\n" << line;
    EXPECT_EQ(integer(doc, "class_uid"), 4001) << n.name;
    EXPECT_EQ(integer(doc, "category_uid"), 4) << n.name;
    EXPECT_EQ(integer(doc, "type_uid"), 400100 + integer(doc, "activity_id")) << n.name;
    EXPECT_EQ(text(doc, "metadata.version"), "1.8.0") << n.name;
    EXPECT_EQ(text(doc, "metadata.product.name"), "procflow") << n.name;
    EXPECT_EQ(integer(doc, "time"), static_cast<int64_t>(n.event.timestamp_us / 1000)) << n.name;
  }
}

TEST(OcsfJson, ActivityFollowsActionAndEndReason) {
  std::map<std::string, int> expected = {
      {"tcp4_outbound_start", 1},
      {"tcp4_inbound_snapshot_start", 1},
      {"tcp4_outbound_end_close", 2},
      {"tcp6_inbound_end_reset", 3},
      {"tcp4_outbound_end_timeout", 4},
      {"udp4_wildcard_end_timeout", 2},
      {"tcp4_end_tracer_stop", 6},
      {"tcp4_end_interval", 6},
      {"tcp4_start_continued", 6},
      {"tcp4_end_lost", 2},
      {"tcp4_message", 6},
      {"replay_tcp4_end_capture_over", 6},
  };
  for (const NamedEvent& n : schema_test_events()) {
    auto it = expected.find(n.name);
    if (it == expected.end()) continue;
    const rapidjson::Document doc = ocsf(n.event);
    EXPECT_EQ(integer(doc, "activity_id"), it->second) << n.name;
    EXPECT_EQ(integer(doc, "type_uid"), 400100 + it->second) << n.name;
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty()) << "missing test events";
  // A failed TCP connection is a failure; nothing else carries a status.
  const rapidjson::Document fail = ocsf([] {
    FlowEvent e = outbound_tcp_end();
    e.end_reason = EndReason::timeout;
    return e;
  }());
  EXPECT_EQ(integer(fail, "status_id"), 2);
  EXPECT_EQ(at(ocsf(outbound_tcp_end()), "status_id"), nullptr);
}

TEST(OcsfJson, OutboundBytesAreWhatTheLocalSocketSent) {
  const rapidjson::Document doc = ocsf(outbound_tcp_end());
  EXPECT_EQ(integer(doc, "traffic.bytes_out"), 1200);  // source (this host) -> destination
  EXPECT_EQ(integer(doc, "traffic.bytes_in"), 48000);
  EXPECT_EQ(integer(doc, "traffic.bytes"), 49200);
  EXPECT_EQ(integer(doc, "traffic.packets"), 60);
  EXPECT_EQ(text(doc, "src_endpoint.ip"), "10.0.0.54");
  EXPECT_EQ(integer(doc, "src_endpoint.port"), 50438);
  EXPECT_EQ(text(doc, "dst_endpoint.ip"), "93.184.216.34");
  EXPECT_EQ(text(doc, "dst_endpoint.hostname"), "www.example.com");
  EXPECT_EQ(text(doc, "dst_endpoint.name"), "www");
  EXPECT_EQ(integer(doc, "connection_info.direction_id"), 2);  // Outbound
  EXPECT_EQ(integer(doc, "connection_info.boundary_id"), 3);   // External
  EXPECT_EQ(integer(doc, "connection_info.protocol_num"), 6);
  EXPECT_EQ(text(doc, "connection_info.protocol_name"), "tcp");
  EXPECT_EQ(integer(doc, "connection_info.protocol_ver_id"), 4);
  EXPECT_EQ(integer(doc, "connection_info.tcp_flags"), 0x1b);  // SYN ACK PSH FIN
  EXPECT_EQ(text(doc, "connection_info.community_uid"), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(integer(doc, "start_time"), static_cast<int64_t>(schema_test_start_us / 1000));
  EXPECT_EQ(integer(doc, "duration"), 2500);
  EXPECT_EQ(text(doc, "unmapped.dest_canonical"), "edge.example.net");
  EXPECT_EQ(integer(doc, "unmapped.out_bytes"), 1200);
}

TEST(OcsfJson, InboundBytesAreSwappedToTheSourcesView) {
  // The local socket accepted: it is the destination, and what it sent (out_bytes 48000) went
  // from the destination to the source.
  const rapidjson::Document doc = ocsf(inbound_tcp_end());
  EXPECT_EQ(integer(doc, "traffic.bytes_out"), 1200);
  EXPECT_EQ(integer(doc, "traffic.bytes_in"), 48000);
  EXPECT_EQ(text(doc, "src_endpoint.ip"), "198.51.100.7");
  EXPECT_EQ(text(doc, "dst_endpoint.ip"), "10.0.0.54");
  EXPECT_EQ(integer(doc, "connection_info.direction_id"), 1);  // Inbound
  EXPECT_EQ(text(doc, "device.ip"), "10.0.0.54");
  EXPECT_EQ(integer(doc, "unmapped.out_bytes"), 48000);
  EXPECT_FALSE(at(doc, "unmapped.initiated")->GetBool());
}

TEST(OcsfJson, ProcessUserAndDevice) {
  const rapidjson::Document doc = ocsf(outbound_tcp_end());
  EXPECT_EQ(integer(doc, "actor.process.pid"), 4242);
  EXPECT_EQ(text(doc, "actor.process.name"), "curl");
  EXPECT_EQ(text(doc, "actor.process.path"), "/usr/bin/curl");
  EXPECT_EQ(text(doc, "actor.process.file.path"), "/usr/bin/curl");
  EXPECT_EQ(integer(doc, "actor.process.file.type_id"), 1);
  EXPECT_EQ(integer(doc, "actor.process.parent_process.pid"), 1);
  EXPECT_EQ(text(doc, "actor.process.user.uid"), "1000");
  EXPECT_EQ(text(doc, "actor.process.user.name"), "alice");
  EXPECT_EQ(text(doc, "device.hostname"), "ws1.example.com");
  EXPECT_EQ(text(doc, "device.name"), "ws1");
  // actor and device are attributes of the host profile, which the event must declare.
  const rapidjson::Value* profiles = at(doc, "metadata.profiles");
  ASSERT_TRUE(profiles && profiles->IsArray() && profiles->Size() == 1);
  EXPECT_EQ(str((*profiles)[0]), "host");
}

TEST(OcsfJson, ContainerAndPod) {
  const FlowEvent e = pod_container_tcp_end();
  const rapidjson::Document doc = ocsf(e);
  EXPECT_EQ(text(doc, "actor.process.container.uid"), e.container_id);
  EXPECT_EQ(text(doc, "actor.process.container.name"), "web");
  EXPECT_EQ(text(doc, "actor.process.container.runtime"), "containerd");
  EXPECT_EQ(text(doc, "actor.process.container.orchestrator"), "Kubernetes");
  EXPECT_EQ(text(doc, "actor.process.container.pod_uuid"), e.pod_uid);
  EXPECT_EQ(integer(doc, "actor.process.namespace_pid"), 7);
  EXPECT_EQ(text(doc, "unmapped.pod_uid"), e.pod_uid);
  EXPECT_EQ(text(doc, "unmapped.pod_name"), "web-7d9f");
  EXPECT_EQ(text(doc, "unmapped.pod_namespace"), "shop");
  EXPECT_EQ(at(doc, "unmapped.container_id"), nullptr);
  // The container object is an attribute of the container profile.
  const rapidjson::Value* profiles = at(doc, "metadata.profiles");
  ASSERT_TRUE(profiles && profiles->IsArray() && profiles->Size() == 2);
  EXPECT_EQ(str((*profiles)[0]), "host");
  EXPECT_EQ(str((*profiles)[1]), "container");

  // A static pod's uid is no UUID: unmapped only.
  FlowEvent static_pod = e;
  static_pod.pod_uid = "0123456789abcdef0123456789abcdef";
  const rapidjson::Document s = ocsf(static_pod);
  EXPECT_EQ(at(s, "actor.process.container.pod_uuid"), nullptr);
  EXPECT_EQ(text(s, "unmapped.pod_uid"), static_pod.pod_uid);

  // No container: no container profile, no container object.
  const rapidjson::Document plain = ocsf(outbound_tcp_end());
  EXPECT_EQ(at(plain, "actor.process.container"), nullptr);
  EXPECT_EQ(at(plain, "actor.process.namespace_pid"), nullptr);
}

TEST(OcsfJson, IPv6LoopbackAndWildcardEndpoints) {
  for (const NamedEvent& n : schema_test_events()) {
    const rapidjson::Document doc = ocsf(n.event);
    if (n.name == "tcp6_inbound_end_reset") {
      EXPECT_EQ(integer(doc, "connection_info.protocol_ver_id"), 6);
      EXPECT_EQ(text(doc, "src_endpoint.ip"), "2001:db8::7");
      EXPECT_EQ(integer(doc, "connection_info.tcp_flags") & 0x04, 0x04);
    } else if (n.name == "tcp4_loopback_end") {
      EXPECT_EQ(integer(doc, "connection_info.direction_id"), 4);  // Local
      EXPECT_EQ(integer(doc, "connection_info.boundary_id"), 1);   // Localhost
      EXPECT_EQ(text(doc, "unmapped.dest_fqdn_conflict"), "bank.example (dns)");
    } else if (n.name == "udp4_wildcard_end_timeout") {
      // The local side has no address; it is this host, so the sensor names it.
      EXPECT_EQ(at(doc, "src_endpoint.ip"), nullptr);
      EXPECT_EQ(text(doc, "src_endpoint.hostname"), "ws1.example.com");
      EXPECT_EQ(integer(doc, "src_endpoint.port"), 40000);
      EXPECT_EQ(text(doc, "connection_info.protocol_name"), "udp");
      EXPECT_EQ(integer(doc, "traffic.bytes_out"), 40);
    } else if (n.name == "udp4_inbound_wildcard_no_host_name") {
      EXPECT_EQ(at(doc, "dst_endpoint"), nullptr);
      EXPECT_EQ(integer(doc, "unmapped.dest_port"), 53);
      EXPECT_EQ(at(doc, "device"), nullptr);
    } else if (n.name == "replay_tcp4_end_close") {
      EXPECT_EQ(at(doc, "actor"), nullptr);
      EXPECT_EQ(at(doc, "device"), nullptr);
      EXPECT_EQ(at(doc, "metadata.profiles"), nullptr);
      EXPECT_EQ(integer(doc, "connection_info.direction_id"), 0);
      EXPECT_EQ(integer(doc, "traffic.bytes_out"), 1200);  // replay: out_bytes is the initiator's
    }
  }
}

}  // namespace
}  // namespace procflow::test
