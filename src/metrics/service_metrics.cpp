#include "metrics/service_metrics.h"

#include <set>

#include "metrics/prometheus_text.h"

namespace procflow {
namespace {

using Type = PrometheusText::Type;

constexpr std::array<const char*, 3> kActions = {"start", "message", "end"};

// Names made unique within one list: two outputs to the same place keep
// separate series ("file:/a", "file:/a #2").
std::vector<std::string> unique_labels(const std::vector<OutputRouteStats>& outputs) {
  std::vector<std::string> labels;
  std::map<std::string, int> seen;
  for (const auto& o : outputs) {
    std::string label = sink_label(o.uri);
    if (const int n = ++seen[label]; n > 1) label += " #" + std::to_string(n);
    labels.push_back(std::move(label));
  }
  return labels;
}

OutputMetrics of_route(const std::string& label, const OutputRouteStats& o) {
  OutputMetrics m;
  m.sink = label;
  m.events_by_action = o.events_by_action;
  m.lost_events = o.lost_events;
  m.dropped_queue_full = o.queue.events_dropped_queue_full;
  m.dropped_sink_error = o.queue.events_dropped - o.queue.events_dropped_queue_full;
  m.dropped_retired = o.dropped_retired;
  m.dropped_shutdown = o.dropped_shutdown;
  m.bytes_written = o.queue.bytes_written;
  m.file_rotations = o.queue.rotations;
  m.file_rotation_errors = o.queue.rotation_errors;
  m.sync_errors = o.queue.sync_errors;
  m.events_held = o.queue.events_held;
  m.failed = o.queue.error != 0;
  return m;
}

void add_counters(OutputMetrics& into, const OutputMetrics& from) {
  for (size_t a = 0; a < into.events_by_action.size(); a++)
    into.events_by_action[a] += from.events_by_action[a];
  into.lost_events += from.lost_events;
  into.dropped_queue_full += from.dropped_queue_full;
  into.dropped_sink_error += from.dropped_sink_error;
  into.dropped_retired += from.dropped_retired;
  into.dropped_shutdown += from.dropped_shutdown;
  into.bytes_written += from.bytes_written;
  into.file_rotations += from.file_rotations;
  into.file_rotation_errors += from.file_rotation_errors;
  into.sync_errors += from.sync_errors;
}

void render_outputs(PrometheusText& p, const std::vector<OutputMetrics>& outputs) {
  p.family("procflow_events_total", Type::counter,
           "Events an output's filter passed and its queue took, by action (lost: procflow's own "
           "loss reports).");
  for (const auto& o : outputs) {
    for (size_t a = 0; a < kActions.size(); a++)
      p.sample({{"sink", o.sink}, {"action", kActions[a]}}, o.events_by_action[a]);
    p.sample({{"sink", o.sink}, {"action", "lost"}}, o.lost_events);
  }
  p.family("procflow_events_dropped_total", Type::counter,
           "Events an output lost: its queue was full (the sink did not keep up), the sink "
           "failed or gave them up (sink_error), or they were still queued or held when a reload "
           "retired the output (retired) or procflow stopped (shutdown) and its drain ran out of "
           "time.");
  for (const auto& o : outputs) {
    p.sample({{"sink", o.sink}, {"reason", "queue_full"}}, o.dropped_queue_full);
    p.sample({{"sink", o.sink}, {"reason", "sink_error"}}, o.dropped_sink_error);
    p.sample({{"sink", o.sink}, {"reason", "retired"}}, o.dropped_retired);
    p.sample({{"sink", o.sink}, {"reason", "shutdown"}}, o.dropped_shutdown);
  }
  p.family("procflow_sink_bytes_written_total", Type::counter,
           "Bytes an output's sink wrote (for ClickHouse: rows sent).");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, o.bytes_written);
  p.family("procflow_sink_file_rotations_total", Type::counter,
           "Times a file output's file was renamed away at its size limit.");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, o.file_rotations);
  p.family("procflow_sink_file_rotation_errors_total", Type::counter,
           "Rotations that failed (a rename or open): writing went on in the same file.");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, o.file_rotation_errors);
  p.family("procflow_sink_sync_errors_total", Type::counter,
           "fsync or fdatasync calls of a file output that failed.");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, o.sync_errors);
  p.family("procflow_sink_events_held", Type::gauge,
           "Events a sink holds and has not delivered yet (a batch, or a retry while its server "
           "is away).");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, o.events_held);
  p.family("procflow_sink_failed", Type::gauge,
           "1 when an output's sink broke for good (its events are dropped until a reload).");
  for (const auto& o : outputs) p.sample({{"sink", o.sink}}, uint64_t{o.failed});
}

void render_losses(PrometheusText& p, const TracerMetrics& t) {
  const LossCounts& l = t.losses;
  p.family("procflow_kernel_drops_total", Type::counter,
           "What the kernel programs could not record, by reason (ring_buffer_full: a record "
           "could not be reserved in the ring buffer; *_map_full: a map had no room).");
  for (size_t r = 0; r < l.kernel.size(); r++)
    p.sample({{"reason", drop_reason_key(r)}}, l.kernel[r]);
  p.family("procflow_ring_records_lost_total", Type::counter,
           "Records lost to a full ring buffer, by record kind.");
  std::map<std::string_view, uint64_t> by_kind;
  for (size_t k = 0; k < l.records.size(); k++)
    if (l.records[k]) by_kind[record_kind_name(k)] += l.records[k];
  for (const auto& [kind, n] : by_kind) p.sample({{"kind", kind}}, n);
  p.family("procflow_records_undecodable_total", Type::counter,
           "Ring buffer records that failed the kind and size checks.");
  p.sample(l.undecodable);
  p.family("procflow_flow_ends_lost_total", Type::counter,
           "Flows ended with end_reason lost: their end record never came.");
  p.sample(l.flows_end_lost);
  p.family("procflow_kernel_filtered_total", Type::counter,
           "Connections and datagrams the --pid/--port filters left out in the kernel (not a "
           "loss).");
  p.sample(t.filtered_in_kernel);
}

void render_flows(PrometheusText& p, const TracerMetrics& t) {
  p.family("procflow_ring_records_total", Type::counter, "Records read from the ring buffer.");
  p.sample(t.records);
  p.family("procflow_tls_plaintext_records_total", Type::counter,
           "TLS plaintext records (OpenSSL uprobes) read from the ring buffer.");
  p.sample(t.tls_records);
  p.family("procflow_flows_started_total", Type::counter, "Flows started, by transport.");
  p.sample({{"protocol", "tcp"}}, t.tcp_flows_started);
  p.sample({{"protocol", "udp"}}, t.udp_flows_started);
  p.family("procflow_flows_ended_total", Type::counter, "Flows ended, by transport.");
  p.sample({{"protocol", "tcp"}}, t.tcp_flows_ended);
  p.sample({{"protocol", "udp"}}, t.udp_flows_ended);
  p.family("procflow_open_flows", Type::gauge, "Flows open now, by transport.");
  p.sample({{"protocol", "tcp"}}, uint64_t{t.tables.tcp_flows});
  p.sample({{"protocol", "udp"}}, uint64_t{t.tables.udp_flows});
  p.family("procflow_payload_chunks_total", Type::counter,
           "Chunks of content the kernel copied (message events), by what became of them.");
  p.sample({{"result", "copied"}}, t.payload_records);
  p.sample({{"result", "unmatched"}}, t.payload_unmatched);
  p.family("procflow_messages_total", Type::counter, "message events built.");
  p.sample(t.messages);
}

void render_caches(PrometheusText& p, const TracerMetrics& t) {
  const TableSizes& s = t.tables;
  p.family("procflow_table_entries", Type::gauge,
           "Entries of procflow's tables and caches (see docs/operations.md, table sizes).");
  const std::pair<const char*, size_t> tables[] = {
      {"tcp_flows", s.tcp_flows},
      {"tcp_ending", s.tcp_ending},
      {"tcp_endpoints", s.tcp_endpoints},
      {"udp_flows", s.udp_flows},
      {"udp_endpoints", s.udp_endpoints},
      {"processes", s.processes},
      {"processes_exited", s.processes_exited},
      {"dns_names", s.dns_names},
      {"dns_queries", s.dns_queries},
      {"dns_waiting", s.dns_waiting},
      {"mount_namespaces", s.mount_namespaces},
      {"namespace_users", s.namespace_users},
      {"cgroups", s.cgroups},
      {"container_processes", s.container_processes},
      {"pods", s.pods},
  };
  for (const auto& [name, n] : tables) p.sample({{"table", name}}, uint64_t{n});
  p.family(
      "procflow_cache_lookups_total", Type::counter,
      "Cache look-ups by result: processes (hit: known from exec/fork records or an earlier "
      "read; miss: /proc was read), dns_names (an address named by a DNS answer or not), cgroups "
      "(a cgroup id's container facts known, or its path looked up).");
  p.sample({{"cache", "processes"}, {"result", "hit"}}, t.processes.hits);
  p.sample({{"cache", "processes"}, {"result", "miss"}}, t.processes.misses);
  p.sample({{"cache", "dns_names"}, {"result", "hit"}}, t.dns_names.hits);
  p.sample({{"cache", "dns_names"}, {"result", "miss"}}, t.dns_names.misses);
  p.sample({{"cache", "cgroups"}, {"result", "hit"}}, t.cgroups.hits);
  p.sample({{"cache", "cgroups"}, {"result", "miss"}}, t.cgroups.misses);
  p.family("procflow_dns_cache_evictions_total", Type::counter,
           "DNS names dropped to make room before they expired.");
  p.sample(t.dns_cache_evictions);
  p.family("procflow_dns_messages_total", Type::counter,
           "DNS messages seen: queries, answers that named addresses, answers rejected (not "
           "matching a query procflow saw).");
  p.sample({{"kind", "query"}}, t.dns_queries_seen);
  p.sample({{"kind", "answer_learned"}}, t.dns_answers_learned);
  p.sample({{"kind", "answer_rejected"}}, t.dns_answers_rejected);
}

void render_kernel_side(PrometheusText& p, const ServiceMetrics& m) {
  const TracerMetrics& t = m.tracer;
  if (t.ring_size_bytes) {
    p.family("procflow_ring_buffer_size_bytes", Type::gauge, "Size of the kernel's ring buffer.");
    p.sample(t.ring_size_bytes);
    p.family("procflow_ring_buffer_used_bytes", Type::gauge,
             "Bytes of the ring buffer written by the kernel and not yet read (sampled at the "
             "scrape's last update).");
    p.sample(t.ring_used_bytes);
  }
  p.family("procflow_interfaces_attached", Type::gauge, "Interfaces whose packets are counted.");
  p.sample(t.interfaces_attached);
  p.family("procflow_interfaces_failed_total", Type::counter,
           "Interfaces TC could not be attached to.");
  p.sample(t.interfaces_failed);
  if (m.plan) {
    p.family("procflow_attach_plan_info", Type::gauge,
             "The hook each need of the attach plan uses (none: not covered).");
    for (const auto& c : m.plan->choices) {
      if (!c.spec) continue;
      p.sample({{"need", c.spec->name},
                {"hook", c.chosen ? hook_kind_name(c.chosen->kind) : std::string_view("none")}},
               uint64_t{1});
    }
  }
  p.family("procflow_bpf_stats_enabled", Type::gauge,
           "1 when kernel.bpf_stats_enabled is on and the per-program run time below is "
           "counted.");
  p.sample(uint64_t{t.bpf_stats_enabled});
  if (t.bpf_stats_enabled) {
    p.family("procflow_bpf_program_runs_total", Type::counter,
             "Runs of each BPF program (counted while bpf_stats is on).");
    for (const auto& prog : t.programs) p.sample({{"program", prog.name}}, prog.runs);
    p.family("procflow_bpf_program_run_seconds_total", Type::counter,
             "Time spent in each BPF program (counted while bpf_stats is on).");
    for (const auto& prog : t.programs)
      p.sample({{"program", prog.name}}, static_cast<double>(prog.run_time_ns) / 1e9);
    p.family("procflow_bpf_program_recursion_misses_total", Type::counter,
             "Runs the kernel skipped because the program was already running on that CPU.");
    for (const auto& prog : t.programs) p.sample({{"program", prog.name}}, prog.recursion_misses);
  }
}

}  // namespace

std::string sink_label(const std::string& uri) {
  return uri.substr(0, uri.find('?'));
}

void OutputMetricsBook::retire(const std::vector<OutputRouteStats>& outputs) {
  const std::vector<std::string> labels = unique_labels(outputs);
  for (size_t i = 0; i < outputs.size(); i++) {
    OutputMetrics& kept = retired_[labels[i]];
    kept.sink = labels[i];
    add_counters(kept, of_route(labels[i], outputs[i]));
  }
}

std::vector<OutputMetrics> OutputMetricsBook::current(
    const std::vector<OutputRouteStats>& outputs,
    const std::vector<OutputRouteStats>& retiring) const {
  OutputMetricsBook gone = *this;
  gone.retire(retiring);
  std::vector<OutputMetrics> out;
  std::set<std::string> live;
  const std::vector<std::string> labels = unique_labels(outputs);
  for (size_t i = 0; i < outputs.size(); i++) {
    OutputMetrics m = of_route(labels[i], outputs[i]);
    if (auto it = gone.retired_.find(labels[i]); it != gone.retired_.end())
      add_counters(m, it->second);
    live.insert(labels[i]);
    out.push_back(std::move(m));
  }
  for (const auto& [label, m] : gone.retired_)
    if (!live.count(label)) out.push_back(m);  // its gauges: zero, it is gone
  return out;
}

std::string render_metrics(const ServiceMetrics& m) {
  PrometheusText p;
  p.family("procflow_build_info", Type::gauge, "procflow's version; the value is always 1.");
  p.sample({{"version", PROCFLOW_VERSION}}, uint64_t{1});
  p.family("procflow_start_time_seconds", Type::gauge, "When procflow started (UNIX seconds).");
  p.sample(m.start_time_s);
  p.family("procflow_ready", Type::gauge, "1 once the kernel programs are attached.");
  p.sample(uint64_t{m.ready});
  p.family("procflow_config_reloads_total", Type::counter,
           "SIGHUP reloads, by result (refused: the new config was invalid; the old one stayed).");
  p.sample({{"result", "applied"}}, m.reloads);
  p.sample({{"result", "refused"}}, m.reloads_refused);
  render_flows(p, m.tracer);
  render_outputs(p, m.outputs);
  render_losses(p, m.tracer);
  render_caches(p, m.tracer);
  render_kernel_side(p, m);
  return p.text();
}

}  // namespace procflow
