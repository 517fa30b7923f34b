// The whole userspace path per socket: its raw records decoded, correlated and enriched by the
// flow tables, each event serialized as JSON and written to /dev/null. This is the userspace
// CPU a traced socket costs (kernel side excluded), and `events` is the rate the budget
// ("≥ 1 M events/s per core") is about.
//
// BM_PipelinePerSocket is the first version of this benchmark, kept for comparison: mixed TCP,
// no name resolution, lines batched by hand into a LineSink. The BM_Pipeline/... benchmarks are
// `procflow trace --format json` as src/cli/trace_command.cpp runs it: the tables with a
// NameResolver and the (empty) EventFilter, each event checked against the filter, serialized
// into its own line and handed to the SinkQueue, whose thread writes it to /dev/null through a
// LineSink; their CPU time is the process's (both threads), so events/s is per core of CPU spent.
// Not included: the ring-buffer read itself and the BPF map look-ups at a flow's end (TC counters
// for TCP, udp_flows for UDP), which are system calls.
#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "collect/record_decoder.h"
#include "flow/event_filter.h"
#include "flow/flow_table.h"
#include "flow/udp_flow_table.h"
#include "output/json_serializer.h"
#include "output/line_sink.h"
#include "output/sink_queue.h"
#include "pipeline_inputs.h"
#include "procflow_abi.h"

namespace procflow {
namespace {

using bench::Direction;
using bench::env;
using bench::Env;
using bench::kConnectionSpacingNs;
using bench::kSockBase;
using bench::kTickEvery;

// Under load the tracer's loop turn drains up to 16 384 records and then hands the batch to the
// writer thread: a wake-up every few thousand events, not every event.
constexpr uint64_t kFlushEvery = 1024;  // sockets

// What the tracer's RecordHandler does with the records these benchmarks send.
struct Forward : RecordHandler {
  FlowTable* tcp = nullptr;
  UdpFlowTable* udp = nullptr;
  void on_tcp_start(const pf_tcp_start& r) override { tcp->on_tcp_start(r); }
  void on_tcp_owner(const pf_tcp_owner& r) override { tcp->on_tcp_owner(r); }
  void on_tcp_established(const pf_tcp_established& r) override { tcp->on_tcp_established(r); }
  void on_tcp_end(const pf_tcp_end& r) override { tcp->on_tcp_end(r); }
  void on_udp_start(const pf_udp_start& r) override { udp->on_udp_start(r); }
  void on_udp_release(const pf_udp_release& r) override { udp->on_udp_release(r); }
};

int open_devnull(benchmark::State& state) {
  int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0) state.SkipWithError("cannot open /dev/null");
  return fd;
}

// The first version: 3 records decoded -> flow table -> 2 JSON lines appended to one batch ->
// LineSink to /dev/null in 64 KiB writes, all in this thread. No names.
void BM_PipelinePerSocket(benchmark::State& state) {
  Env& e = env();
  int devnull = open_devnull(state);
  if (devnull < 0) return;
  uint64_t emitted = 0;
  {
    auto sink = LineSink::to_fd(devnull);
    std::string lines;
    lines.reserve(64 * 1024);
    FlowTable table(e.context(), [&](const FlowEvent& ev) {
      append_json_line(ev, lines);
      emitted++;
    });
    Forward handler;
    handler.tcp = &table;

    const uint64_t t0 = e.clock.now_boot_ns();
    std::vector<bench::SocketRecords> ring;
    for (uint64_t k = 0; k < 1024; k++) ring.push_back(bench::records_of(k, t0));
    uint64_t i = 0;
    for (auto _ : state) {
      bench::SocketRecords& r = ring[i % ring.size()];
      r.renew(kSockBase + i * 2048, t0 + i * kConnectionSpacingNs);
      decode_record(&r.start, sizeof r.start, handler);
      if (r.outbound)
        decode_record(&r.established, sizeof r.established, handler);
      else
        decode_record(&r.owner, sizeof r.owner, handler);
      decode_record(&r.end, sizeof r.end, handler);
      if (++i % kTickEvery == 0) {
        table.tick(t0 + i * kConnectionSpacingNs);
        if (lines.size() > 60 * 1024) {  // the batch flush of trace_command
          sink->write(lines);
          lines.clear();
        }
      }
    }
    sink->flush();
  }
  ::close(devnull);
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(emitted), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PipelinePerSocket);

enum class Shape { tcp_outbound, tcp_inbound, tcp_mixed, udp };

// `procflow trace --format json` from records to the writer thread, for sockets of one shape.
// One item = one socket (TCP) or one (socket, peer) flow (UDP), each with a start and an end.
void run_pipeline(benchmark::State& state, Shape shape, bool names) {
  Env& e = env();
  int devnull = open_devnull(state);
  if (devnull < 0) return;
  uint64_t emitted = 0, named = 0;
  uint64_t dropped = 0;
  {
    EventFilter filter;  // no filter options given, as trace_command builds it then
    // trace_command's queue and size, but waiting instead of dropping when full: on a busy
    // machine the writer thread may not get a core for a while, and a dropped event would be
    // one not written (flattering numbers). Waiting costs the producer no CPU time.
    SinkQueue out(LineSink::to_fd(devnull), SinkQueue::default_capacity, SinkQueue::WhenFull::wait);
    std::string line;
    line.reserve(4096);
    auto emit = [&](const FlowEvent& ev) {  // trace_command's emit, for --format json
      if (!filter.matches(ev)) return;
      line.clear();
      append_json_line(ev, line);
      out.offer(line);
      emitted++;
      named += !ev.dest_fqdn.empty();
    };
    const FlowContext ctx = e.context(names, &filter);
    FlowTable tcp(ctx, emit);
    bench::FixedUdpStats udp_stats;
    UdpFlowTable udp(ctx, udp_stats, emit);
    Forward handler;
    handler.tcp = &tcp;
    handler.udp = &udp;

    const uint64_t t0 = e.clock.now_boot_ns();
    const Direction direction = shape == Shape::tcp_outbound  ? Direction::outbound
                                : shape == Shape::tcp_inbound ? Direction::inbound
                                                              : Direction::mixed;
    std::vector<bench::SocketRecords> ring;
    std::vector<bench::UdpRecords> udp_ring;
    for (uint64_t k = 0; k < 1024; k++) {
      ring.push_back(bench::records_of(k, t0, direction));
      udp_ring.push_back(bench::udp_records_of(k, t0));
    }
    uint64_t i = 0;
    for (auto _ : state) {
      const uint64_t sock = kSockBase + i * 2048;
      const uint64_t now = t0 + i * kConnectionSpacingNs;
      if (shape == Shape::udp) {
        bench::UdpRecords& r = udp_ring[i % udp_ring.size()];
        r.renew(sock, now);
        decode_record(&r.start, sizeof r.start, handler);
        decode_record(&r.release, sizeof r.release, handler);
      } else {
        bench::SocketRecords& r = ring[i % ring.size()];
        r.renew(sock, now);
        decode_record(&r.start, sizeof r.start, handler);
        if (r.outbound)
          decode_record(&r.established, sizeof r.established, handler);
        else
          decode_record(&r.owner, sizeof r.owner, handler);
        decode_record(&r.end, sizeof r.end, handler);
      }
      if (++i % kTickEvery == 0) {
        tcp.tick(now);
        udp.tick(now);
      }
      if (i % kFlushEvery == 0) out.flush();
    }
    out.drain(std::chrono::seconds(10));
    dropped = out.stats().events_dropped;
  }
  ::close(devnull);
  // Numbers made with missing enrichment or dropped output would flatter the pipeline.
  if (e.processes->proc_reads() != 0) state.SkipWithError("ProcessCache fell back to /proc");
  if (dropped != 0) state.SkipWithError("the writer thread dropped events");
  if (names && named == 0) state.SkipWithError("no event has a name");
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(emitted), benchmark::Counter::kIsRate);
}

// Process CPU time: the writer thread's share is part of what an event costs.
void register_pipelines() {
  struct Variant {
    const char* name;
    Shape shape;
    bool names;
  };
  static const Variant variants[] = {
      {"BM_Pipeline/tcp_out", Shape::tcp_outbound, true},
      {"BM_Pipeline/tcp_in", Shape::tcp_inbound, true},
      {"BM_Pipeline/tcp_mixed", Shape::tcp_mixed, true},
      {"BM_Pipeline/tcp_mixed/no_names", Shape::tcp_mixed, false},
      {"BM_Pipeline/udp_out", Shape::udp, true},
  };
  for (const Variant& v : variants)
    benchmark::RegisterBenchmark(v.name, [v](benchmark::State& state) {
      run_pipeline(state, v.shape, v.names);
    })->MeasureProcessCPUTime();
}

const bool registered = (register_pipelines(), true);

}  // namespace
}  // namespace procflow
