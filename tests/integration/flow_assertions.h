// The checks every flow test repeats, asserting exact values: the process
// fields (pid, ppid, exe, image_path, uid, user), the endpoints, and a whole
// flow (one start, one end, bytes, packets, flags, end_reason, times,
// community_id), for TCP and UDP alike.
// A field that must be known is required; where procflow may not know a value
// yet (a passive socket's owner at its start), the value must be absent or
// right: the contract says unknown values are omitted, never guessed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "flow_query.h"
#include "helper_programs.h"
#include "packet_capture.h"
#include "topology.h"

namespace procflow_it {

struct ExpectedProcess {
  int64_t pid = -1;
  std::optional<int64_t> ppid;
  std::string exe;
  std::string image_path;
  int64_t uid = 0;
  std::string user;
};

// What a helper run as `who` with parent `ppid` must be reported as.
ExpectedProcess expected_process(Helper helper, int64_t pid, std::optional<int64_t> ppid,
                                 RunAs who = RunAs::root);

enum class Presence { required, if_present };

// Whether the flow's local socket has one local address. An unconnected UDP
// socket bound to the wildcard address has none (the kernel picks a source
// per datagram), so its flow must omit the local IP (src_ip when it
// initiated, else dest_ip) and with it community_id; its port is still known.
enum class LocalAddress { known, wildcard };

void expect_process(const JsonLine& event, const ExpectedProcess& expected, Presence presence);
// src_ip/src_port/dest_ip/dest_port of `selector` (all must be set, except
// the local IP with LocalAddress::wildcard, which must be absent) are present
// and equal, and transport_protocol is the selector's (TCP when unset).
void expect_endpoints(const JsonLine& event, const FlowSelector& selector,
                      LocalAddress local = LocalAddress::known);

struct ExpectedFlow {
  ExpectedProcess process;
  // The start event must carry the process fields (true for the connecting side).
  bool process_on_start = true;
  std::optional<int64_t> in_bytes;
  std::optional<int64_t> out_bytes;
  std::string end_reason;
  std::set<std::string> flags;          // each must appear in the end event's tcp_flags
  bool expect_packets = true;           // packet_count > 0 at the end
  std::optional<int64_t> packet_count;  // exact, when the test knows it (UDP: datagrams)
  LocalAddress local_address = LocalAddress::known;
};

// One start, one end, and every value of `expected` on them. A UDP flow
// (selector.transport "UDP") must carry no tcp_flags.
void expect_flow(const Flow& flow, const FlowSelector& selector, const ExpectedFlow& expected);

// An end event counts exactly the packets of the connection in a capture of
// the traced interface, and its tcp_flags are the union of the flags seen there.
void expect_end_matches_capture(const JsonLine& end, const CapturedConnection& seen);

}  // namespace procflow_it
