// Exact-value assertions on procflow's flow events; see flow_assertions.h.
#include "flow_assertions.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace procflow_it {
namespace {

// Every process in the test's network namespace was started by `ip netns
// exec`, which also gives it a mount namespace of its own. procflow names
// the user of such a process only from that namespace's passwd, which it
// can read only while a process of the namespace lives: for one that exits
// at once, "user" is exact or absent (docs/events.md, user). Processes in
// the test runner's network namespace share procflow's mount namespace.
bool user_may_be_absent(const JsonLine& event) {
  static const int64_t runner_netns = [] {
    struct stat st = {};
    return stat("/proc/self/ns/net", &st) == 0 ? static_cast<int64_t>(st.st_ino) : -1;
  }();
  const auto netns = event.integer("netns");
  return netns && *netns != runner_netns;
}

template <typename T>
void expect_field(const JsonLine& event, const std::string& key, const std::optional<T>& actual,
                  const T& expected, Presence presence) {
  if (!event.has(key)) {
    if (presence == Presence::required)
      ADD_FAILURE() << "missing \"" << key << "\" in " << event.raw();
    return;
  }
  if (!actual) {
    ADD_FAILURE() << "\"" << key << "\" has the wrong JSON type in " << event.raw();
    return;
  }
  const T& reported = *actual;
  const T& ground_truth = expected;
  EXPECT_EQ(reported, ground_truth) << "\"" << key << "\" in " << event.raw();
}

}  // namespace

ExpectedProcess expected_process(Helper helper, int64_t pid, std::optional<int64_t> ppid,
                                 RunAs who) {
  ExpectedProcess p;
  p.pid = pid;
  p.ppid = ppid;
  p.exe = helper_exe(helper);
  p.image_path = helper_image_path(helper);
  p.uid = who == RunAs::nobody ? kNobodyUid : 0;
  p.user = who == RunAs::nobody ? "nobody" : "root";
  return p;
}

void expect_process(const JsonLine& event, const ExpectedProcess& expected, Presence presence) {
  expect_field(event, "pid", event.integer("pid"), expected.pid, presence);
  if (expected.ppid) expect_field(event, "ppid", event.integer("ppid"), *expected.ppid, presence);
  expect_field(event, "exe", event.str("exe"), expected.exe, presence);
  expect_field(event, "image_path", event.str("image_path"), expected.image_path, presence);
  expect_field(event, "uid", event.integer("uid"), expected.uid, presence);
  expect_field(event, "user", event.str("user"), expected.user,
               user_may_be_absent(event) ? Presence::if_present : presence);
}

void expect_endpoints(const JsonLine& event, const FlowSelector& selector, LocalAddress local) {
  // The local socket is the initiator's when this flow initiated.
  const std::string local_ip_key = selector.initiated.value_or(true) ? "src_ip" : "dest_ip";
  for (const auto& [key, want] : {std::pair{std::string("src_ip"), selector.src_ip},
                                  std::pair{std::string("dest_ip"), selector.dest_ip}}) {
    if (local == LocalAddress::wildcard && key == local_ip_key) {
      EXPECT_FALSE(event.has(key))
          << key << " must be omitted: the socket is unconnected on the wildcard address, so it "
          << "has no single local address: " << event.raw();
      continue;
    }
    EXPECT_TRUE(same_ip(event.str(key).value_or("?"), want.value_or("")))
        << key << " should be " << want.value_or("?") << ": " << event.raw();
  }
  expect_field(event, "src_port", event.integer("src_port"), selector.src_port.value_or(-1),
               Presence::required);
  expect_field(event, "dest_port", event.integer("dest_port"), selector.dest_port.value_or(-1),
               Presence::required);
  expect_field(event, "transport_protocol", event.str("transport_protocol"),
               selector.transport.value_or("TCP"), Presence::required);
  EXPECT_TRUE(parse_rfc3339_us(event.str("timestamp").value_or("")))
      << "timestamp is not RFC 3339: " << event.raw();
}

void expect_flow(const Flow& flow, const FlowSelector& selector, const ExpectedFlow& expected) {
  SCOPED_TRACE(selector.describe());
  ASSERT_EQ(flow.starts.size(), 1u) << "exactly one start event expected";
  ASSERT_EQ(flow.ends.size(), 1u) << "exactly one end event expected";
  EXPECT_TRUE(flow.others.empty()) << "unknown action: " << flow.others.front().raw();
  const JsonLine& start = *flow.start();
  const JsonLine& end = *flow.end();

  for (const JsonLine* event : flow.all()) {
    expect_endpoints(*event, selector, expected.local_address);
    expect_process(*event, expected.process, Presence::if_present);
    EXPECT_EQ(event->boolean("initiated"), selector.initiated) << event->raw();
  }
  expect_process(start, expected.process,
                 expected.process_on_start ? Presence::required : Presence::if_present);
  expect_process(end, expected.process, Presence::required);

  if (expected.in_bytes) {
    expect_field(end, "in_bytes", end.integer("in_bytes"), *expected.in_bytes, Presence::required);
  }
  if (expected.out_bytes) {
    expect_field(end, "out_bytes", end.integer("out_bytes"), *expected.out_bytes,
                 Presence::required);
  }
  expect_field(end, "end_reason", end.str("end_reason"), expected.end_reason, Presence::required);

  auto flags = split_flags(end.str("tcp_flags").value_or(""));
  for (const auto& flag : expected.flags) {
    EXPECT_TRUE(flags.count(flag)) << "tcp_flags lacks " << flag << ": " << end.raw();
  }
  if (selector.transport == "UDP") {
    EXPECT_FALSE(end.has("tcp_flags")) << "a UDP flow has no TCP flags: " << end.raw();
  }
  if (expected.packet_count) {
    expect_field(end, "packet_count", end.integer("packet_count"), *expected.packet_count,
                 Presence::required);
  } else if (expected.expect_packets) {
    EXPECT_GT(end.integer("packet_count").value_or(0), 0) << "packet_count: " << end.raw();
  }

  auto start_time = parse_rfc3339_us(end.str("start_time").value_or(""));
  auto end_time = parse_rfc3339_us(end.str("end_time").value_or(""));
  EXPECT_TRUE(start_time) << "start_time missing or not RFC 3339: " << end.raw();
  EXPECT_TRUE(end_time) << "end_time missing or not RFC 3339: " << end.raw();
  if (start_time && end_time) {
    EXPECT_LE(*start_time, *end_time) << end.raw();
  }
  if (auto first = parse_rfc3339_us(start.str("start_time").value_or("")); first && start_time) {
    EXPECT_EQ(*first, *start_time) << "start_time differs between start and end events";
  }

  if (expected.local_address == LocalAddress::wildcard) {
    // Community ID hashes both addresses; with one unknown it cannot exist.
    for (const JsonLine* event : flow.all()) {
      EXPECT_FALSE(event->has("community_id"))
          << "no community_id without a local address: " << event->raw();
    }
    return;
  }
  EXPECT_FALSE(end.str("community_id").value_or("").empty()) << "community_id: " << end.raw();
  EXPECT_EQ(start.str("community_id"), end.str("community_id"))
      << "community_id differs between start and end";
}

void expect_end_matches_capture(const JsonLine& end, const CapturedConnection& seen) {
  EXPECT_EQ(end.integer("packet_count"), std::optional<int64_t>(seen.packets))
      << end.raw() << "\ncaptured (frame, flags, length):\n"
      << seen.frames;
  EXPECT_EQ(split_flags(end.str("tcp_flags").value_or("")), seen.flags)
      << end.raw() << "\ncaptured (frame, flags, length):\n"
      << seen.frames;
}

}  // namespace procflow_it
