// libFuzzer target: the replay's packet parser and flow table on arbitrary bytes.
//
// Input: one byte choosing the link type (low 2 bits) and whether messages are built (top bit:
// the payloads then go through CaptureTurns, the conversation code, nDPI and the decoders), then
// records of
//   [length: 2 bytes, big-endian][clock step: 1][wire extra: 1][frame]
// (a record cut short takes what is left). Each frame is parsed as captured with a wire length
// of its size plus 16 x `wire extra` bytes (what a snap length leaves), and every decoded packet
// goes into one ReplayFlows table, DNS over UDP and TCP included, whose timeouts fire as the
// clock moves (the step's low 7 bits are seconds; its top bit steps back). Traps on any broken
// invariant, so logic errors are reported like memory errors.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "proto/ndpi_engine.h"
#include "replay/packet_parser.h"
#include "replay/replay_flows.h"

namespace {

using procflow::FlowAction;
using procflow::FlowEvent;
using procflow::ParsedPacket;
using procflow::ParseStatus;
using procflow::ReplayFlowRecord;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr procflow::LinkType kLinks[] = {
    procflow::LinkType::ethernet, procflow::LinkType::linux_sll, procflow::LinkType::linux_sll2,
    procflow::LinkType::raw_ip};

void check_packet(ParseStatus s, const ParsedPacket& p, std::span<const uint8_t> frame,
                  uint32_t wire) {
  if (s != ParseStatus::ok) return;
  check(p.ip_proto == procflow::ip_proto_tcp || p.ip_proto == procflow::ip_proto_udp);
  check(p.src_ip.is_set() && p.src_ip.family == p.dest_ip.family);
  check(p.payload.size() <= p.payload_bytes);
  check(p.ip_bytes <= std::max<size_t>(wire, frame.size()));
  check(p.payload_bytes < p.ip_bytes || p.fragmented);
  if (!p.payload.empty()) {
    check(p.payload.data() >= frame.data());
    check(p.payload.data() + p.payload.size() <= frame.data() + frame.size());
  }
}

struct Tally {
  uint64_t starts = 0, ends = 0, messages = 0, packets_in_ended_flows = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const procflow::LinkType link = kLinks[data[0] % std::size(kLinks)];
  std::span<const uint8_t> rest(data + 1, size - 1);

  procflow::ReplayOptions options;
  options.max_flows = 32;  // small, so the limit is reached too
  options.dns.max_entries = 64;
  // One engine for every input: creating nDPI's module costs milliseconds.
  static const std::unique_ptr<procflow::NdpiEngine> ndpi = procflow::NdpiEngine::create(nullptr);
  procflow::ConversationSettings settings{
      .options =
          procflow::ContentOptions{
              .bytes = 64, .messages = procflow::MessagesMode::all, .max_turns = 4},
      .ndpi = ndpi.get()};
  if (data[0] & 0x80) options.conversations = &settings;
  Tally tally;
  procflow::ReplayFlows flows(options, [&](const FlowEvent& e, const ReplayFlowRecord& r) {
    check(r.first_us <= r.last_us);
    check(e.src_ip == r.initiator_ip && e.dest_ip == r.responder_ip);
    check(e.dest_hostname.size() <= e.dest_fqdn.size());
    if (e.action == FlowAction::start) {
      tally.starts++;
      check(!e.packet_count.has_value());
      return;
    }
    if (e.action == FlowAction::message) {
      tally.messages++;
      check(options.conversations != nullptr);
      check(e.message_direction.has_value() && !e.packet_count.has_value());
      return;
    }
    check(e.action == FlowAction::end);
    tally.ends++;
    check(*e.packet_count == r.out.packets + r.in.packets && *e.packet_count > 0);
    check(*e.out_bytes == r.out.payload_bytes && *e.in_bytes == r.in.payload_bytes);
    check(r.out.ip_bytes >= r.out.packets * 28 && r.in.ip_bytes >= r.in.packets * 28);
    check(e.end_time_us && *e.end_time_us == r.last_us);
    check(e.transport == procflow::ip_proto_tcp || e.tcp_flags == 0);
    tally.packets_in_ended_flows += *e.packet_count;
  });

  uint64_t now_us = 1'000'000'000'000'000;
  ParsedPacket packet;
  while (rest.size() >= 4) {
    const size_t length = std::min<size_t>(rest.size() - 4, size_t{rest[0]} << 8 | rest[1]);
    // The top bit steps the clock back: capture files are not always in time order.
    const uint64_t step_us = uint64_t{rest[2] & 0x7fu} * 1'000'000;
    now_us = (rest[2] & 0x80) ? now_us - step_us : now_us + step_us;
    const auto wire = static_cast<uint32_t>(length + 16u * rest[3]);
    // A copy of exactly the frame's size: any read past it is a heap overflow ASan reports.
    const std::vector<uint8_t> frame(rest.begin() + 4,
                                     rest.begin() + 4 + static_cast<std::ptrdiff_t>(length));
    rest = rest.subspan(4 + length);
    const ParseStatus s = procflow::parse_packet(link, frame, wire, &packet);
    check_packet(s, packet, frame, wire);
    if (s == ParseStatus::ok) flows.add(packet, now_us, wire);
  }
  // The input as a single frame, under every link type.
  for (procflow::LinkType each : kLinks) {
    const std::vector<uint8_t> frame(data + 1, data + size);
    const ParseStatus s =
        procflow::parse_packet(each, frame, static_cast<uint32_t>(frame.size()), &packet);
    check_packet(s, packet, frame, static_cast<uint32_t>(frame.size()));
    if (s == ParseStatus::ok) flows.add(packet, now_us, static_cast<uint32_t>(frame.size()));
  }

  const size_t open = flows.open_flows();
  flows.finish();
  const procflow::ReplayFlowStats& st = flows.stats();
  check(flows.open_flows() == 0);
  check(tally.starts == st.flows_started && tally.ends == st.flows_ended);
  check(tally.starts == tally.ends);
  check(tally.messages == st.messages);
  // At most max_turns messages per direction, flow and source (wire only here).
  check(tally.messages <= tally.starts * 2 * settings.options.max_turns);
  check(open <= options.max_flows);
  check(tally.packets_in_ended_flows == st.packets - st.after_close - st.table_full);
  return 0;
}
