// Userspace cost per event of each stage of procflow's pipeline (architecture.md, "Performance
// budget"): ring-buffer record -> decode_record -> FlowTable (enrichment: process, user, host,
// network direction, Community ID) -> JSON or text line. The whole path end to end is in
// pipeline_end_to_end.cpp, the inputs in pipeline_inputs.h.
//
// The inputs are built to look like what the kernel side sends for real connections, and the
// enrichers are fed the way the tracer feeds them (ProcessCache by exec records, UserResolver by
// a passwd file it reads once), so the numbers are the steady state of a running tracer: no
// /proc reads, no file reads, no packet source (no TC counters to look up).
//
// Every benchmark reports items/s; an item is one record (decode), one socket's life (flow
// table, pipeline), one hash or one line. `events` counts the flow events emitted.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/record_decoder.h"
#include "enrich/community_id.h"
#include "flow/flow_table.h"
#include "output/json_serializer.h"
#include "output/text_formatter.h"
#include "pipeline_inputs.h"
#include "procflow_abi.h"

namespace procflow {
namespace {

using bench::env;
using bench::Env;
using bench::kConnectionSpacingNs;
using bench::kSockBase;
using bench::kTickEvery;
using bench::records_of;
using bench::SocketRecords;

// ---- decode ----------------------------------------------------------------------------------

// Touches what a real handler would read first, so the copy cannot be optimized away.
struct SinkHandler : RecordHandler {
  uint64_t sum = 0;
  void on_tcp_start(const pf_tcp_start& r) override { sum += r.sock_id + r.tuple.sport; }
  void on_tcp_end(const pf_tcp_end& r) override { sum += r.sock_id + r.app_bytes_in; }
};

// A run of records as they sit in the ring buffer (different sockets, so not one hot line).
template <typename Record>
std::vector<Record> ring_of(Record SocketRecords::*member) {
  std::vector<Record> out;
  for (uint64_t i = 0; i < 256; i++) out.push_back(records_of(i, 1'000'000 * i).*member);
  return out;
}

template <typename Record>
void decode_bench(benchmark::State& state, Record SocketRecords::*member) {
  const std::vector<Record> ring = ring_of(member);
  SinkHandler handler;
  size_t i = 0;
  for (auto _ : state) {
    DecodeStatus st = decode_record(&ring[i], sizeof(Record), handler);
    benchmark::DoNotOptimize(st);
    i = (i + 1) % ring.size();
  }
  benchmark::DoNotOptimize(handler.sum);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * sizeof(Record));
}

void BM_DecodeTcpEnd(benchmark::State& state) {
  decode_bench(state, &SocketRecords::end);
}
void BM_DecodeTcpStart(benchmark::State& state) {
  decode_bench(state, &SocketRecords::start);
}
BENCHMARK(BM_DecodeTcpEnd);
BENCHMARK(BM_DecodeTcpStart);

// ---- flow table --------------------------------------------------------------------------------

// Feeds socket `i`'s records to the table, as the tracer's RecordHandler does.
void feed(FlowTable& table, const SocketRecords& r) {
  table.on_tcp_start(r.start);
  if (r.outbound)
    table.on_tcp_established(r.established);
  else
    table.on_tcp_owner(r.owner);
  table.on_tcp_end(r.end);
}

// One item = one socket's whole life: start + established/owner + end records in, start and end
// events out (both fully enriched), with the periodic tick that releases ends after the linger.
// Records come from a precomputed ring (they stand for what decode produced) and only their
// socket ids and times are rewritten, so building them is not measured; PauseTiming would cost
// as much as what is measured.
void BM_FlowTableConnection(benchmark::State& state) {
  Env& e = env();
  uint64_t emitted = 0;
  FlowTable table(e.context(), [&](const FlowEvent& ev) {
    benchmark::DoNotOptimize(ev.exe.data());
    emitted++;
  });
  const uint64_t t0 = e.clock.now_boot_ns();
  std::vector<SocketRecords> ring;
  for (uint64_t k = 0; k < 1024; k++) ring.push_back(records_of(k, t0));
  uint64_t i = 0;
  for (auto _ : state) {
    SocketRecords& r = ring[i % ring.size()];
    r.renew(kSockBase + i * 2048, t0 + i * kConnectionSpacingNs);
    feed(table, r);
    if (++i % kTickEvery == 0) table.tick(t0 + i * kConnectionSpacingNs);
  }
  // The budget says no /proc reads per event; a miss here would also make the numbers wrong.
  if (e.processes->proc_reads() != 0) state.SkipWithError("ProcessCache fell back to /proc");
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(emitted), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FlowTableConnection);

// ---- community id ------------------------------------------------------------------------------

// One flow hash per new flow: IPv4 and IPv6 (the hash input is 4x longer).
void community_id_bench(benchmark::State& state, const char* src_text, const char* dst_text) {
  const IpAddress src = *IpAddress::parse(src_text);
  const IpAddress dst = *IpAddress::parse(dst_text);
  uint16_t port = 32768;
  for (auto _ : state) {
    std::string id = community_id(src, dst, port, 443, ip_proto_tcp);
    benchmark::DoNotOptimize(id.data());
    port = port == 60999 ? 32768 : port + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_CommunityId(benchmark::State& state) {
  community_id_bench(state, "10.0.0.54", "93.184.216.34");
}
BENCHMARK(BM_CommunityId);
void BM_CommunityIdV6(benchmark::State& state) {
  community_id_bench(state, "2001:db8::54", "2606:2800:220:1:248:1893:25c8:1946");
}
BENCHMARK(BM_CommunityIdV6);

// ---- output ------------------------------------------------------------------------------------

// A real `end` event as the flow table builds it (outbound, every enrichment present, names
// included): the biggest line procflow writes for a TCP flow.
const FlowEvent& sample_end_event() {
  static const FlowEvent event = [] {
    Env& e = env();
    std::optional<FlowEvent> last;
    FlowTable table(e.context(/*with_names=*/true), [&](const FlowEvent& ev) {
      if (ev.action == FlowAction::end) last = ev;
    });
    const uint64_t t0 = e.clock.now_boot_ns();
    // Socket 2 goes to a host whose DNS name is an alias (CNAME): every name field is set.
    feed(table, records_of(2, t0, bench::Direction::outbound));
    table.finish(t0 + 10'000'000);
    if (!last || last->exe.empty() || last->user.empty() || last->dest_canonical.empty()) {
      std::fprintf(stderr, "pipeline_bench: sample event is not fully enriched\n");
      std::exit(1);
    }
    return *last;
  }();
  return event;
}

template <void (*Append)(const FlowEvent&, std::string&)>
void line_bench(benchmark::State& state) {
  const FlowEvent& ev = sample_end_event();
  std::string out;
  out.reserve(64 * 1024);
  size_t bytes = 0;
  for (auto _ : state) {
    // Appending into one batch buffer, cleared when full, is what trace_command does between
    // flushes; clearing every time would hide the cost of appending to a long string.
    if (out.size() > 60 * 1024) {
      bytes += out.size();
      out.clear();
    }
    Append(ev, out);
  }
  bytes += out.size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_JsonLine(benchmark::State& state) {
  line_bench<append_json_line>(state);
}
void BM_TextLine(benchmark::State& state) {
  line_bench<append_text_line>(state);
}
BENCHMARK(BM_JsonLine);
BENCHMARK(BM_TextLine);

}  // namespace
}  // namespace procflow

// BENCHMARK_MAIN plus --show_sample, which prints the event the line benchmarks serialize, so
// what is being measured can be checked by eye.
int main(int argc, char** argv) {
  std::vector<char*> args;
  bool show_sample = false;
  for (int i = 0; i < argc; i++) {
    if (std::string_view(argv[i]) == "--show_sample")
      show_sample = true;
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  if (show_sample) {
    std::string out;
    procflow::append_json_line(procflow::sample_end_event(), out);
    out += procflow::text_header();
    procflow::append_text_line(procflow::sample_end_event(), out);
    std::fputs(out.c_str(), stderr);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
