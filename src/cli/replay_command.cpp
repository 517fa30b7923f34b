#include "cli/replay_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "cli/content_flags.h"
#include "cli/filter_options.h"
#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"
#include "cli/output_options.h"
#include "flow/event_filter.h"
#include "output/event_output.h"
#include "output/sink_uri.h"
#include "proto/ndpi_engine.h"
#include "replay/capture_replay.h"
#include "util/seconds.h"

namespace procflow {
namespace {

struct ReplayArgs {
  std::string file;
  OutputArgs output;
  std::string actions;
  std::vector<uint16_t> ports;
  std::vector<std::string> hosts;
  std::vector<std::string> internal_networks;
  double udp_idle_timeout = 60;
  ContentArgs content;
};

// A replay waits for its outputs rather than dropping: this much may wait in
// each output's queue.
constexpr size_t kReplayQueueBytes = 4u << 20;

// "4 not IP, 7 non-first IP fragments (no ports)": what was skipped and why, "" when nothing.
std::string skipped_summary(const CaptureStats& capture, const ReplayFlowStats& flows) {
  std::string out;
  uint64_t total = 0;
  auto add = [&](uint64_t n, std::string_view why) {
    if (!n) return;
    total += n;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + std::string(why);
  };
  for (size_t i = 0; i < capture.by_status.size(); i++) {
    const auto status = static_cast<ParseStatus>(i);
    if (status != ParseStatus::ok) add(capture.by_status[i], to_string(status));
  }
  add(capture.unsupported_link, "on an interface of an unsupported link type");
  add(flows.after_close, "after their TCP flow closed");
  add(flows.table_full, "of flows over the flow limit");
  return total ? std::to_string(total) + " packets skipped: " + out : std::string();
}

void report(const CaptureStats& capture, const ReplayFlows& flows, size_t open_at_end) {
  const ReplayFlowStats& f = flows.stats();
  const ReplayDnsStats& d = flows.dns().stats();
  spdlog::info("{} packets, {} flows ({} still open at the end of the capture), {} messages",
               capture.frames, f.flows_started, open_at_end, f.messages);
  std::string dns = std::to_string(d.messages) + " DNS responses parsed, " +
                    std::to_string(d.address_answers) + " address answers, " +
                    std::to_string(flows.dns().cache().size()) + " addresses named";
  if (d.rejected) dns += "; " + std::to_string(d.rejected) + " payloads on DNS ports rejected";
  if (d.fragmented)
    dns += "; " + std::to_string(d.fragmented) + " responses in IP fragments not reassembled";
  if (d.cut_short) dns += "; " + std::to_string(d.cut_short) + " cut short by the snap length";
  if (d.tcp_resyncs) dns += "; " + std::to_string(d.tcp_resyncs) + " DNS-over-TCP gaps";
  spdlog::info("{}", dns);
  if (auto skipped = skipped_summary(capture, f); !skipped.empty()) spdlog::info("{}", skipped);
}

int run_replay(const ReplayArgs& args) {
  EventFilter filter;
  filter.ports.insert(args.ports.begin(), args.ports.end());
  if (!parse_filter_options(args.hosts, args.actions, &filter)) return 2;
  std::string error;
  ReplayOptions options;
  options.udp_idle_timeout_us = seconds_to_us(args.udp_idle_timeout);
  if (!args.internal_networks.empty()) {
    auto networks = NetworkClassifier::parse(args.internal_networks, &error);
    if (!networks) {
      spdlog::error("--internal-networks: {}", error);
      return 2;
    }
    options.networks = std::move(*networks);
  }

  // Messages: the capture's payload through the live tracer's conversation code, with nDPI.
  ConversationSettings conversations;
  apply_content_args(args.content, &conversations.options);
  std::unique_ptr<NdpiEngine> ndpi;
  if (conversations.options.enabled()) {
    std::string ndpi_error;
    ndpi = NdpiEngine::create(&ndpi_error);
    if (!ndpi)
      spdlog::warn("no application_protocol from nDPI: {}; messages are still decoded", ndpi_error);
    conversations.ndpi = ndpi.get();
    options.conversations = &conversations;
  }

  std::vector<OutputRoute> routes;
  if (!build_output_routes(args.output, kReplayQueueBytes, &routes, &error)) {
    spdlog::error("{}", error);
    return 2;
  }
  // `procflow replay x.pcap | head`: see EPIPE from write(2) and stop, rather than die.
  signal(SIGPIPE, SIG_IGN);
  // A file has no deadline: the replay waits for a slow output instead of dropping.
  auto out = EventOutput::open(routes, SinkQueue::WhenFull::wait, &error);
  if (!out) {
    spdlog::error("{}", error);
    return 1;
  }
  auto emit = [&](const FlowEvent& e, const ReplayFlowRecord&) {
    if (filter.matches(e)) out->emit(e);
  };
  ReplayFlows flows(options, emit);
  CaptureStats capture;
  const bool read_all =
      replay_capture(args.file, flows, &capture, &error, [&] { return out->stdout_gone(); });
  // A truncated file's flows still end: what was read is reported, then the error.
  const size_t open_at_end = flows.open_flows();
  flows.finish();
  // Everything is queued; a broken output has already given up, a working one finishes.
  out->drain(std::chrono::hours(24));
  if (capture.started) report(capture, flows, open_at_end);
  bool output_failed = false;
  for (const OutputRouteStats& r : out->stats()) {
    if (!r.queue.error || r.queue.error == EPIPE) continue;
    output_failed = true;
    spdlog::error("output {}: {} events could not be written ({})", r.uri, r.queue.events_dropped,
                  strerror(r.queue.error));
  }
  if (!read_all) {
    spdlog::error("{}", error);
    return 1;
  }
  return output_failed ? 1 : 0;
}

}  // namespace

std::function<int()> add_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Flows of a capture file (pcap, pcapng; '-' for stdin): same events, no processes");
  namespace ranges = option_ranges;
  cmd->add_option("file", args->file, "capture file to read")
      ->required()
      ->check(non_empty("a capture file, or - for stdin"));
  add_output_options(cmd, &args->output);
  add_filter_options(cmd, &args->ports, &args->hosts, &args->actions);
  cmd->add_option("--udp-idle-timeout", args->udp_idle_timeout,
                  "end a UDP flow after SEC seconds of capture time without a datagram "
                  "(default 60)")
      ->type_name("SEC")
      ->transform(in_range(ranges::kUdpIdleTimeout));
  add_internal_networks_option(cmd, &args->internal_networks);
  add_content_options(cmd, &args->content);
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_replay(*args);
  };
}

}  // namespace procflow
