// The live tracer: probe the kernel, choose the attach plan, load and attach,
// then drain records into the flow table until told to stop. Used by
// `procflow trace` (and the service later); output is the caller's business,
// through the emit callback and the after-batch hook.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bpf/attach_plan.h"
#include "bpf/bpf_session.h"
#include "enrich/reverse_lookup.h"
#include "flow/content_options.h"
#include "flow/flow_table.h"
#include "flow/udp_flow_table.h"
#include "service/loss_counts.h"
#include "service/tracer_metrics.h"

namespace procflow {

struct TracerOptions {
  std::vector<std::string> interfaces;  // empty: every interface that is up, and new ones
  std::set<HookKind> disabled_hooks;
  std::vector<std::string> internal_networks;  // empty: the defaults
  double duration_s = 0;                       // 0: until a signal
  // Every this many seconds each open flow reports its period (an `end`
  // with end_reason interval, then the next period's `start`); 0: off.
  double report_interval_s = 0;
  int tick_ms = 50;
  // Records decoded per loop turn at most: under sustained load the ring is
  // never empty, and the turn must still reach the ticks and the output.
  uint32_t records_per_turn = 16384;
  // Flow-level filters (--pid/--exe/--port/--host), applied before a flow's
  // events are built; must outlive the tracer. nullptr: every flow.
  const EventFilter* filter = nullptr;
  // Whether --pid/--port of `filter` also go into the kernel (fixed at load:
  // off for a service whose filters a reload may change).
  bool filter_in_kernel = true;
  // SIGHUP: called on the loop's thread, between batches, and tracing goes
  // on (the service reloads its config). Unset: SIGHUP stops, like SIGTERM.
  std::function<void()> on_hangup;
  int output_fd = -1;  // where the events go: its reader going away stops the tracer
  // Events the output could not write so far (its count goes into the losses).
  std::function<uint64_t()> output_dropped;
  SessionOptions session;
  FlowTableOptions flow;
  UdpFlowTableOptions udp;
  uint64_t dns_answer_window_ns = 10'000'000'000ull;  // DNS answers later than this name nothing
  bool reverse_dns = false;  // PTR look-ups for addresses nothing else names
  ReverseLookupConfig reverse;
  // Where the host's /proc is (every read of other processes goes there):
  // /host/proc in a container that mounts it, which must share the host's
  // pid namespace (hostPID).
  std::string host_proc = "/proc";
  // The kubelet's pod log directory (pod and container names); one that
  // does not exist names nothing.
  std::string pod_log_dir = "/var/log/pods";
  // `message` events: what the kernel copies and how it is shown.
  ContentOptions content;
};

struct TracerStats {
  uint64_t records = 0;
  LossCounts losses;  // everything lost since the start
  uint64_t flows_started = 0;
  uint64_t flows_ended = 0;
  uint64_t interfaces_failed = 0;
  // Not a loss: socket events the --pid/--port filters left out in the kernel.
  uint64_t filtered_in_kernel = 0;
  uint64_t messages = 0;           // `message` events built
  uint64_t payload_records = 0;    // chunks of content the kernel copied
  uint64_t payload_unmatched = 0;  // chunks no followed flow claimed (not a loss of a flow's own)
  uint64_t tls_records = 0;        // TLS plaintext records decoded
};

class Tracer {
 public:
  using Emit = FlowTable::Emit;
  // What was lost between two moments (UNIX microseconds): called at most
  // once a second while something is being lost, and once at the end.
  using OnLoss = std::function<void(const LossCounts& delta, uint64_t since_us, uint64_t now_us)>;
  void set_loss_handler(OnLoss handler);

  // Everything up to attached programs; nullptr and a one-sentence error on failure.
  static std::unique_ptr<Tracer> start(const TracerOptions& options, Emit emit, std::string* error);
  ~Tracer();

  // Runs until SIGINT/SIGTERM, the duration, or stop_requested(); then ends
  // every open flow (tracer_stop). after_batch runs after each drain (flush
  // output there). Returns false with error if the loop failed.
  bool run(const std::function<bool()>& after_batch, std::string* error);

  // The enrichment a reload may change while tracing: PTR look-ups on, off,
  // or with another server or rate, and the DNS answer window. On the loop's
  // thread (e.g. from on_hangup). False with `error`, and nothing changed,
  // when the new PTR resolver cannot be made.
  struct Enrichment {
    bool reverse_dns = false;
    ReverseLookupConfig reverse;
    uint64_t dns_answer_window_ns = 10'000'000'000ull;
  };
  bool set_enrichment(const Enrichment& enrichment, std::string* error);

  const AttachPlan& plan() const;
  TracerStats stats() const;
  // Counters, table sizes, cache hit rates, ring fill and program run times.
  // On the loop's thread only (e.g. from after_batch): it reads the tables.
  TracerMetrics metrics() const;
  std::vector<std::string> attached_interfaces() const;

 private:
  struct Impl;
  explicit Tracer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace procflow
