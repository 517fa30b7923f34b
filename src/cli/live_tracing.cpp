#include "cli/live_tracing.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

#include "metrics/metrics_server.h"
#include "metrics/service_metrics.h"
#include "output/event_output.h"
#include "output/output_retirement.h"
#include "output/sink_uri.h"
#include "procflow_abi.h"
#include "service/service_notifier.h"
#include "service/tracer.h"
#include "util/capabilities.h"
#include "util/seconds.h"

namespace procflow {
namespace {

using namespace std::chrono_literals;

// The kernel wants a power-of-two number of pages.
uint32_t ring_buffer_bytes(uint32_t kib) {
  uint32_t bytes = 4096;
  while (bytes < static_cast<uint64_t>(kib) * 1024) bytes <<= 1;
  return bytes;
}

// How long the last events may take to reach a slow output at shutdown.
constexpr std::chrono::milliseconds kOutputDrainTimeout{500};
// How long an output a reload removed or changed may take, on a thread of its
// own (the loop goes on), to write what it holds before it is given up on.
constexpr std::chrono::milliseconds kReloadDrainTimeout{2000};

std::vector<OutputRoute> routes_of(const ServiceConfig& config, const LiveMode& mode) {
  if (!config.outputs.empty() || !mode.stdout_by_default) return config.outputs;
  return {OutputRoute{}};  // stdout, CAR JSON
}

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
  if (s.payload_records || s.messages)
    spdlog::info(
        "{} chunks of content copied, {} messages built, {} chunks no traced flow "
        "claimed",
        s.payload_records, s.messages, s.payload_unmatched);
  spdlog::info("{} records, {} flows started, {} ended, {} records lost, {} events not written",
               s.records, s.flows_started, s.flows_ended, l.records_lost() + l.undecodable,
               l.events_not_written);
}

// One output: what it could not take, and why. True when it lost any.
bool report_output(const OutputRouteStats& r) {
  // Named without its ?options: a ClickHouse password stays out of the log.
  const std::string name = "output " + sink_label(r.uri);
  if (r.queue.rotation_errors)
    spdlog::warn("{}: {} rotations failed (writing went on in the same file)", name,
                 r.queue.rotation_errors);
  if (r.queue.sync_errors) spdlog::warn("{}: {} fsync calls failed", name, r.queue.sync_errors);
  if (r.dropped_retired)
    spdlog::warn(
        "lost: {} events not written: still queued or held by {} when a reload retired it "
        "(its drain took longer than {} ms)",
        r.dropped_retired, name, kReloadDrainTimeout.count());
  if (r.dropped_shutdown)
    spdlog::warn(
        "lost: {} events not written: still queued or held by {} when procflow stopped (the "
        "final drain took longer than {} ms)",
        r.dropped_shutdown, name, kOutputDrainTimeout.count());
  if (!r.queue.events_dropped) return r.events_dropped() > 0;
  const std::string who = is_stdout_uri(r.uri) ? "the reader of stdout" : name;
  if (r.queue.error == EPIPE)
    spdlog::warn("lost: {} events not written: {} went away", r.queue.events_dropped, who);
  else if (r.queue.error)
    spdlog::warn("lost: {} events not written: {} failed ({})", r.queue.events_dropped, who,
                 strerror(r.queue.error));
  else
    spdlog::warn("lost: {} events not written: {} did not keep up", r.queue.events_dropped, who);
  return true;
}

// Per output at the exit: what it could not take, and why.
void report_outputs(const EventOutput& out, bool delivered) {
  bool any_dropped = false;
  for (const OutputRouteStats& r : out.stats()) any_dropped = report_output(r) || any_dropped;
  if (!delivered && !any_dropped)
    spdlog::warn("lost: events still queued when an output stopped taking them");
}

// The STATUS= line systemd shows: what is being done, and what was lost.
std::string status_line(const TracerStats& s, uint64_t events_dropped) {
  return "tracing: " + std::to_string(s.flows_started - s.flows_ended) + " flows open, " +
         std::to_string(s.flows_started) + " started, " +
         std::to_string(s.losses.records_lost() + s.losses.undecodable) + " records lost, " +
         std::to_string(events_dropped) + " events not written";
}

// The enrichment settings of a config, at start and at each reload.
Tracer::Enrichment enrichment_of(const ServiceConfig& c) {
  Tracer::Enrichment e;
  e.reverse_dns = c.reverse_dns;
  e.reverse.server = c.reverse_dns_server;
  e.reverse.max_queries_per_s = c.reverse_dns_rate;
  e.dns_answer_window_ns = seconds_to_ns(c.dns_answer_window_s);
  return e;
}

TracerOptions tracer_options(const ServiceConfig& c, const LiveMode& mode) {
  TracerOptions options;
  options.interfaces = c.interfaces;
  options.disabled_hooks = c.disabled_hooks;
  options.duration_s = mode.duration_s;
  options.report_interval_s = c.report_interval_s;
  options.internal_networks = c.internal_networks;
  options.udp.idle_timeout_ns = seconds_to_ns(c.udp_idle_timeout_s);
  options.session.ringbuf_bytes = ring_buffer_bytes(c.ring_buffer_kib);
  options.session.max_flows = c.max_flows;
  // TC keeps packets, flags and the content budget per TCP connection: as
  // many as the flows followed.
  options.session.max_wire_tuples = c.max_flows;
  options.session.max_udp_flows = c.max_udp_flows;
  const Tracer::Enrichment enrichment = enrichment_of(c);
  options.reverse_dns = enrichment.reverse_dns;
  options.reverse = enrichment.reverse;
  options.dns_answer_window_ns = enrichment.dns_answer_window_ns;
  options.filter_in_kernel = mode.interactive;
  options.host_proc = c.host_proc;
  options.pod_log_dir = c.pod_log_dir;
  options.content = c.content;
  return options;
}

}  // namespace

int run_live_tracing(const ServiceConfig& config, const LiveMode& mode) {
  ServiceConfig running = config;
  // The tracer reads the filter through a pointer: a reload changes it in place.
  EventFilter filter = running.filter;
  std::string error;
  // Each output's queue is drained by a thread of its own: the loop never
  // waits for a reader or a server; a slow or stopped one costs that output
  // dropped events (counted), not a stalled tracer.
  auto out = EventOutput::open(routes_of(running, mode), SinkQueue::WhenFull::drop, &error);
  if (!out) {
    spdlog::error("{}", error);
    return 1;
  }
  // Outputs a reload removed or changed drain here, off the loop's thread.
  OutputRetirement retirement(kReloadDrainTimeout);
  uint64_t dropped_by_replaced_outputs = 0;  // by outputs whose retirement ended
  ServiceNotifier notifier;
  // Metrics: bound before anything is attached, so /readyz says "not yet"
  // while the programs load, and a taken port fails the start at once.
  ServiceMetrics metrics;
  metrics.start_time_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  OutputMetricsBook output_book;
  std::unique_ptr<MetricsServer> metrics_server;
  if (!running.metrics_address.empty()) {
    metrics_server = MetricsServer::start(running.metrics_address, render_metrics(metrics), &error);
    if (!metrics_server) {
      spdlog::error("{}", error);
      return 1;
    }
    spdlog::info("metrics on http://{}/metrics", running.metrics_address);
  }

  TracerOptions options = tracer_options(running, mode);
  if (mode.interactive && out->writes_stdout()) options.output_fd = STDOUT_FILENO;
  options.filter = &filter;
  options.output_dropped = [&] {
    return dropped_by_replaced_outputs + retirement.events_dropped() + out->events_dropped();
  };
  // Between batches: the counts of retired outputs that finished draining
  // join the metrics and the totals, with a log line for what they lost.
  auto collect_retired = [&] {
    const std::vector<OutputRouteStats> finished = retirement.take_finished();
    if (finished.empty()) return;
    for (const OutputRouteStats& r : finished) {
      report_output(r);
      dropped_by_replaced_outputs += r.events_dropped();
    }
    output_book.retire(finished);
  };
  // Declared before the reload handler, which changes its enrichment; it
  // only runs inside tracer->run().
  std::unique_ptr<Tracer> tracer;
  if (mode.reload) {
    // On the loop's thread, between batches: no event is being emitted, so
    // every event goes to the old outputs or the new ones, never both or none.
    // Unchanged outputs are kept as they run; the removed and changed ones
    // drain on a thread of their own while the loop goes on reading the ring.
    options.on_hangup = [&] {
      notifier.reloading();
      std::optional<ServiceConfig> loaded = mode.reload();
      // Whatever the outcome, the service goes on: READY=1 again.
      struct Ready {
        ServiceNotifier& n;
        ~Ready() { n.ready("tracing"); }
      } ready_again{notifier};
      if (!loaded) {  // the reason is logged; the running config stays
        metrics.reloads_refused++;
        return;
      }
      std::string open_error;
      // Enrichment first: a PTR resolver that cannot be made refuses the
      // reload before any output changed.
      if (!tracer->set_enrichment(enrichment_of(*loaded), &open_error)) {
        spdlog::error("reload refused: {}; the running config stays", open_error);
        metrics.reloads_refused++;
        return;
      }
      std::unique_ptr<EventOutput> retired;
      OutputChanges changes;
      out->flush();
      if (!out->reconfigure(routes_of(*loaded, mode), SinkQueue::WhenFull::drop, &retired, &changes,
                            &open_error)) {
        spdlog::error("reload refused: {}; the running config stays", open_error);
        metrics.reloads_refused++;
        return;
      }
      for (const std::string& s : settings_needing_restart(running, *loaded))
        spdlog::warn("reload: {} changed; it takes effect at the next restart", s);
      retirement.retire(std::move(retired));
      // SIGHUP is also logrotate's signal: kept file outputs open their paths again.
      out->reopen();
      metrics.reloads++;
      filter = loaded->filter;
      spdlog::set_level(spdlog::level::from_str(loaded->log_level));
      // What a restart would change stays as it runs, so the next reload
      // compares against what is really in force.
      ServiceConfig in_force = running;
      in_force.outputs = loaded->outputs;
      in_force.filter = loaded->filter;
      in_force.log_level = loaded->log_level;
      in_force.reverse_dns = loaded->reverse_dns;
      in_force.reverse_dns_server = loaded->reverse_dns_server;
      in_force.reverse_dns_rate = loaded->reverse_dns_rate;
      in_force.dns_answer_window_s = loaded->dns_answer_window_s;
      running = std::move(in_force);
      spdlog::info("reloaded: {} outputs ({} kept, {} opened, {} retired)",
                   routes_of(running, mode).size(), changes.kept, changes.opened, changes.retired);
    };
  }
  auto emit = [&](const FlowEvent& e) {
    if (!filter.matches(e)) return;
    out->emit(e);
    if (mode.on_event) mode.on_event(e);
  };
  tracer = Tracer::start(options, emit, &error);
  if (!tracer) {
    spdlog::error("{}", error);
    return 1;
  }
  // What is lost goes into the stream too, as a `lost` event.
  tracer->set_loss_handler([&](const LossCounts& delta, uint64_t since_us, uint64_t now_us) {
    out->emit_lost(delta, since_us, now_us);
  });
  // Attached: from here on only what the run needs (service/capabilities.h).
  std::string kept, cap_error;
  if (keep_only_capabilities(capabilities_after_start(), &kept, &cap_error))
    spdlog::info("capabilities kept after start-up: {}", kept.empty() ? "none" : kept);
  else
    spdlog::warn("could not drop capabilities after start-up: {}", cap_error);
  metrics.plan = &tracer->plan();
  metrics.ready = true;
  auto publish_metrics = [&] {
    if (!metrics_server) return;
    metrics.tracer = tracer->metrics();
    metrics.outputs = output_book.current(out->stats(), retirement.draining());
    metrics_server->publish(render_metrics(metrics));
    metrics_server->set_ready(metrics.ready);
  };
  // Ready everywhere before the log line says so: whoever waits for
  // "tracing started" (a test, an operator) finds /readyz already 200.
  publish_metrics();
  notifier.ready("tracing");
  std::string where = "interfaces: ";
  for (const auto& i : tracer->attached_interfaces()) where += i + " ";
  spdlog::info("tracing started ({}; {})", tracer->plan().summary(), where);

  auto last_status = std::chrono::steady_clock::now();
  auto after_batch = [&]() {
    out->flush();
    collect_retired();
    notifier.tick();
    if (metrics_server) metrics_server->heartbeat();
    if (const auto now = std::chrono::steady_clock::now(); now - last_status >= 1s) {
      notifier.status(status_line(tracer->stats(), options.output_dropped()));
      publish_metrics();
      last_status = now;
    }
    if (mode.after_batch && !mode.after_batch()) return false;
    // e.g. `procflow trace | head`: stop quietly. A service goes on.
    return !(mode.interactive && out->stdout_gone());
  };
  const bool ran = tracer->run(after_batch, &error);
  notifier.stopping();
  metrics.ready = false;  // stopping: a load balancer or kubelet stops counting on it
  publish_metrics();
  if (!ran) {
    spdlog::error("{}", error);
    return 1;
  }
  // The tracer_stop ends are queued: give the outputs a moment to take them,
  // not forever (a stopped reader must not keep the tracer from exiting).
  // What they could not deliver in that time is counted (reason shutdown).
  out->flush();
  const bool delivered = out->drain(kOutputDrainTimeout);
  out->abandon(Undelivered::shutdown);
  // Retirements under way end within kReloadDrainTimeout of their reload.
  retirement.wait();
  collect_retired();
  publish_metrics();
  report_losses(tracer->stats());
  report_outputs(*out, delivered);
  return 0;
}

}  // namespace procflow
