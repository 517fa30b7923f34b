// Flow events covering what the OCSF and ECS writers must map: every action and end reason,
// TCP and UDP, IPv4 and IPv6, inbound, outbound, local and replayed flows, with and without
// names, users and process fields. Shared by ocsf_json_test and ecs_json_test.
#pragma once

#include <string>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow::test {

struct NamedEvent {
  std::string name;
  FlowEvent event;
};

// 2026-11-28T05:10:11.123456Z, the `timestamp` of the events below that end.
inline constexpr uint64_t schema_test_end_us = 1795842611123456;
inline constexpr uint64_t schema_test_start_us = schema_test_end_us - 2'500'000;

// An outbound TCP connection from this host, ended by a close: out_bytes 1200 (sent), in_bytes
// 48000 (received), 60 packets.
FlowEvent outbound_tcp_end();
// The same connection seen from the accepting side: initiated false, out_bytes 48000 (the
// server sent the response), in_bytes 1200.
FlowEvent inbound_tcp_end();

// outbound_tcp_end() made by a process in container "web" (containerd) of pod shop/web-7d9f,
// pid 7 in its pid namespace.
FlowEvent pod_container_tcp_end();

std::vector<NamedEvent> schema_test_events();

}  // namespace procflow::test
