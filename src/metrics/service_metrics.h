// procflow's own metrics, as Prometheus scrapes them: what the tracer
// measured (TracerMetrics), what each output took and lost, reloads, and the
// attach plan. Naming follows Prometheus practice: one `procflow_` prefix,
// base units, `_total` counters, a `procflow_build_info` gauge, labels of
// low cardinality only (a sink is named by its URI without its options, so
// no password reaches a label). docs/operations.md lists every family.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bpf/attach_plan.h"
#include "output/event_output.h"
#include "service/tracer_metrics.h"

namespace procflow {

// One output's counters, summed over the outputs a reload replaced that had
// the same name, so a counter never goes backwards at a reload.
struct OutputMetrics {
  std::string sink;  // the label: the URI without its ?options
  std::array<uint64_t, 3> events_by_action{};
  uint64_t lost_events = 0;
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_sink_error = 0;  // the sink failed or gave events up itself
  uint64_t dropped_retired = 0;     // still queued or held when a reload retired it
  uint64_t dropped_shutdown = 0;    // still queued or held when procflow stopped
  uint64_t bytes_written = 0;
  uint64_t file_rotations = 0;        // a rotating file output's renames
  uint64_t file_rotation_errors = 0;  // renames or opens that failed (writing went on)
  uint64_t sync_errors = 0;           // fsync/fdatasync calls that failed
  uint64_t events_held = 0;           // gauge: in the sink, not yet delivered
  bool failed = false;                // gauge: the sink is broken (its events are dropped)
};

// Keeps the counters of outputs retired by a reload.
class OutputMetricsBook {
 public:
  // Before a reload replaces the outputs: their counters carry over.
  void retire(const std::vector<OutputRouteStats>& outputs);
  // The live outputs plus what retired ones of the same names had counted;
  // retired names no longer configured stay, with their final counts.
  // `retiring`: outputs a reload replaced that are still draining, counted
  // like retired ones so no counter goes backwards meanwhile.
  std::vector<OutputMetrics> current(const std::vector<OutputRouteStats>& outputs,
                                     const std::vector<OutputRouteStats>& retiring = {}) const;

 private:
  std::map<std::string, OutputMetrics> retired_;
};

// "file:/var/log/procflow/flows.json", "clickhouse+http://db:8123/": the URI
// up to its options.
std::string sink_label(const std::string& uri);

struct ServiceMetrics {
  TracerMetrics tracer;
  std::vector<OutputMetrics> outputs;
  const AttachPlan* plan = nullptr;
  uint64_t reloads = 0;
  uint64_t reloads_refused = 0;
  double start_time_s = 0;  // UNIX seconds
  bool ready = false;
};

// The exposition text of one scrape.
std::string render_metrics(const ServiceMetrics& m);

}  // namespace procflow
