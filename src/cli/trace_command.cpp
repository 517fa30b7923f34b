#include "cli/trace_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "cli/filter_options.h"
#include "cli/hook_list.h"
#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"
#include "cli/output_options.h"
#include "flow/event_filter.h"
#include "output/event_output.h"
#include "output/sink_uri.h"
#include "procflow/flow_event.h"
#include "procflow_abi.h"
#include "service/tracer.h"
#include "util/seconds.h"

namespace procflow {
namespace {

struct TraceArgs {
  OutputArgs output;
  double duration = 0;
  std::vector<uint32_t> pids;
  std::vector<std::string> exes;
  std::vector<uint16_t> ports;
  std::vector<std::string> hosts;
  std::string actions;
  std::vector<std::string> interfaces;
  std::string disable_hooks;
  std::vector<std::string> internal_networks;
  double udp_idle_timeout = 60;
  double dns_answer_window = 10;
  uint32_t ring_buffer_kib = 8192;
  uint32_t output_buffer_kib = 8192;
  bool reverse_dns = false;
  std::string reverse_dns_server;
  double reverse_dns_rate = 20;
};

// The kernel wants a power-of-two number of pages.
uint32_t ring_buffer_bytes(uint32_t kib) {
  uint32_t bytes = 4096;
  while (bytes < static_cast<uint64_t>(kib) * 1024) bytes <<= 1;
  return bytes;
}

// How long the last events may take to reach a slow reader at shutdown.
constexpr std::chrono::milliseconds kOutputDrainTimeout{500};

// The exit report: what was lost, in words that keep records (what the
// kernel could not hand over) apart from flows and events.
void report_losses(const TracerStats& s) {
  const LossCounts& l = s.losses;
  if (const uint64_t records = l.records_lost()) {
    std::string kinds;
    for (size_t k = 0; k < l.records.size(); k++) {
      if (!l.records[k]) continue;
      if (!kinds.empty()) kinds += ", ";
      kinds += std::to_string(l.records[k]) + " " + std::string(record_kind_name(k));
    }
    spdlog::warn("lost: {} records: the ring buffer was full ({})", records, kinds);
  }
  for (size_t r = 0; r < l.kernel.size(); r++) {
    if (r == PF_DROP_RINGBUF_RESERVE || !l.kernel[r]) continue;
    spdlog::warn("lost: {} {}", l.kernel[r], drop_reason_words(r));
  }
  if (l.undecodable) spdlog::warn("lost: {} records that could not be decoded", l.undecodable);
  if (l.flows_end_lost)
    spdlog::warn("lost: {} flows' end records; those flows ended with end_reason lost",
                 l.flows_end_lost);
  if (s.interfaces_failed)
    spdlog::warn("{} interfaces could not be traced (packets and DNS there are missing)",
                 s.interfaces_failed);
  if (s.filtered_in_kernel)
    spdlog::info("{} connections and datagrams left out in the kernel by --pid/--port",
                 s.filtered_in_kernel);
  spdlog::info("{} records, {} flows started, {} ended, {} records lost, {} events not written",
               s.records, s.flows_started, s.flows_ended, l.records_lost() + l.undecodable,
               l.events_not_written);
}

// Per output: what it could not take, and why.
void report_outputs(const EventOutput& out, bool delivered) {
  bool any_dropped = false;
  for (const OutputRouteStats& r : out.stats()) {
    if (!r.queue.events_dropped) continue;
    any_dropped = true;
    const std::string who = is_stdout_uri(r.uri) ? "the reader of stdout" : "output " + r.uri;
    if (r.queue.error == EPIPE)
      spdlog::warn("lost: {} events not written: {} went away", r.queue.events_dropped, who);
    else if (r.queue.error)
      spdlog::warn("lost: {} events not written: {} failed ({})", r.queue.events_dropped, who,
                   strerror(r.queue.error));
    else
      spdlog::warn("lost: {} events not written: {} did not keep up", r.queue.events_dropped, who);
  }
  if (!delivered && !any_dropped)
    spdlog::warn("lost: events still queued when an output stopped taking them");
}

int run_trace(const TraceArgs& args) {
  EventFilter filter;
  filter.pids.insert(args.pids.begin(), args.pids.end());
  filter.exes.insert(args.exes.begin(), args.exes.end());
  filter.ports.insert(args.ports.begin(), args.ports.end());
  if (!parse_filter_options(args.hosts, args.actions, &filter)) return 2;
  std::string error;
  if (!args.internal_networks.empty() &&
      !NetworkClassifier::parse(args.internal_networks, &error)) {
    spdlog::error("--internal-networks: {}", error);
    return 2;
  }
  // Checked here, not when the resolver is set up: after the kernel programs are loaded, and
  // with exit status 1 instead of 2.
  if (!args.reverse_dns_server.empty() && !IpAddress::parse(args.reverse_dns_server)) {
    spdlog::error("--reverse-dns-server: '{}' is not an IP address", args.reverse_dns_server);
    return 2;
  }
  TracerOptions options;
  options.interfaces = args.interfaces;
  options.duration_s = args.duration;
  options.internal_networks = args.internal_networks;
  options.udp.idle_timeout_ns = seconds_to_ns(args.udp_idle_timeout);
  options.dns_answer_window_ns = seconds_to_ns(args.dns_answer_window);
  options.session.ringbuf_bytes = ring_buffer_bytes(args.ring_buffer_kib);
  options.reverse_dns = args.reverse_dns;
  options.reverse.server = args.reverse_dns_server;
  options.reverse.max_queries_per_s = args.reverse_dns_rate;
  if (!parse_hook_list(args.disable_hooks, &options.disabled_hooks, &error)) {
    spdlog::error("--disable-hook: {}", error);
    return 2;
  }

  // Each output's queue is drained by a thread of its own: the loop never
  // waits for a reader or a server; a slow or stopped one costs that output
  // dropped events (counted), not a stalled tracer.
  std::vector<OutputRoute> routes;
  if (!build_output_routes(args.output, size_t{args.output_buffer_kib} * 1024, &routes, &error)) {
    spdlog::error("{}", error);
    return 2;
  }
  auto out = EventOutput::open(routes, SinkQueue::WhenFull::drop, &error);
  if (!out) {
    spdlog::error("{}", error);
    return 1;
  }
  if (out->writes_stdout()) options.output_fd = STDOUT_FILENO;
  options.filter = &filter;
  auto emit = [&](const FlowEvent& e) {
    if (filter.matches(e)) out->emit(e);
  };
  options.output_dropped = [&out] { return out->events_dropped(); };
  auto tracer = Tracer::start(options, emit, &error);
  if (!tracer) {
    spdlog::error("{}", error);
    return 1;
  }
  // What is lost goes into the stream too, as a `lost` event.
  tracer->set_loss_handler([&](const LossCounts& delta, uint64_t since_us, uint64_t now_us) {
    out->emit_lost(delta, since_us, now_us);
  });
  std::string where = "interfaces: ";
  for (const auto& i : tracer->attached_interfaces()) where += i + " ";
  spdlog::info("tracing started ({}; {})", tracer->plan().summary(), where);

  auto after_batch = [&]() {
    out->flush();
    return !out->stdout_gone();  // e.g. `procflow trace | head`: stop quietly
  };
  if (!tracer->run(after_batch, &error)) {
    spdlog::error("{}", error);
    return 1;
  }
  // The tracer_stop ends are queued: give the reader a moment to take them,
  // not forever (a stopped reader must not keep the tracer from exiting).
  const bool delivered = out->drain(kOutputDrainTimeout);
  report_losses(tracer->stats());
  report_outputs(*out, delivered);
  return 0;
}

}  // namespace

std::function<int()> add_trace_command(CLI::App& app) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "Live tracing of every TCP and UDP flow, to stdout");
  namespace ranges = option_ranges;
  add_output_options(cmd, &args->output);
  cmd->add_option("--duration", args->duration, "stop after SEC seconds")
      ->type_name("SEC")
      ->transform(in_range(ranges::kTraceDuration));
  cmd->add_option("--pid", args->pids, "only flows of these pids")
      ->type_name("PID")
      ->transform(in_range(ranges::kPid))
      ->delimiter(',');
  cmd->add_option("--exe", args->exes, "only flows of these executables (basename)")
      ->check(non_empty("executable names"))
      ->delimiter(',');
  cmd->add_option("--port", args->ports, "only flows with this source or destination port")
      ->type_name("PORT")
      ->transform(in_range(ranges::kPort))
      ->delimiter(',');
  cmd->add_option("--host", args->hosts, "only flows to or from this IP or CIDR")
      ->check(non_empty("IP addresses or CIDRs"))
      ->delimiter(',');
  cmd->add_option("--actions", args->actions, "start,message,end (default: all)")
      ->check(non_empty("start, message or end"));
  cmd->add_option("--interfaces", args->interfaces,
                  "interfaces for packet counters (default: every interface that is up)")
      ->check(non_empty("interface names"))
      ->delimiter(',');
  cmd->add_option("--disable-hook", args->disable_hooks,
                  "never use these hooks, e.g. fentry,kprobe (forces the fallbacks)")
      ->check(non_empty("hook kinds, e.g. fentry,kprobe"));
  cmd->add_option("--udp-idle-timeout", args->udp_idle_timeout,
                  "end a UDP flow after SEC seconds without a datagram (default 60)")
      ->type_name("SEC")
      ->transform(in_range(ranges::kUdpIdleTimeout));
  cmd->add_option("--dns-answer-window", args->dns_answer_window,
                  "a DNS answer names addresses only if it comes within SEC seconds of the "
                  "query it answers (default 10)")
      ->type_name("SEC")
      ->transform(in_range(ranges::kDnsAnswerWindow));
  cmd->add_flag("--reverse-dns", args->reverse_dns,
                "name addresses no DNS answer, /etc/hosts or local address names with PTR "
                "look-ups (asynchronous, cached, rate-limited; off by default)");
  cmd->add_option("--reverse-dns-server", args->reverse_dns_server,
                  "IP of the server for PTR look-ups (default: /etc/resolv.conf)")
      ->check(non_empty("an IP address"));
  cmd->add_option("--ring-buffer-kib", args->ring_buffer_kib,
                  "size of the kernel's ring buffer in KiB, rounded up to a power of two "
                  "(default 8192)")
      ->type_name("KIB")
      ->transform(in_range(ranges::kRingBufferKib));
  cmd->add_option("--output-buffer-kib", args->output_buffer_kib,
                  "events waiting for a slow output (each --output), in KiB; beyond it new events "
                  "are dropped and counted (default 8192)")
      ->type_name("KIB")
      ->transform(in_range(ranges::kOutputBufferKib));
  cmd->add_option("--reverse-dns-rate", args->reverse_dns_rate,
                  "at most this many PTR queries per second (default 20)")
      ->type_name("RATE")
      ->transform(in_range(ranges::kReverseDnsRate));
  cmd->add_option("--internal-networks", args->internal_networks,
                  "CIDRs counted as internal for network_direction (default: RFC 1918, "
                  "loopback, link-local, ULA)")
      ->check(non_empty("CIDRs"))
      ->delimiter(',');
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_trace(*args);
  };
}

}  // namespace procflow
