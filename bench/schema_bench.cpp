// Cost of each output schema (issue 9): ns per event for the CAR JSON line, the text line, the
// OCSF Network Activity line and the ECS document, all of the same typical `end` event (an
// outbound TCP connection with names, process, user, host, counters and Community ID), appended
// into a 64 KiB batch buffer as trace_command does.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "output/ecs_json.h"
#include "output/json_serializer.h"
#include "output/ocsf_json.h"
#include "output/text_formatter.h"
#include "procflow/flow_event.h"

namespace procflow {
namespace {

const FlowEvent& typical_end_event() {
  static const FlowEvent event = [] {
    FlowEvent e;
    e.action = FlowAction::end;
    e.timestamp_us = 1795842611123456;
    e.start_time_us = e.timestamp_us - 2'500'000;
    e.end_time_us = e.timestamp_us;
    e.src_ip = *IpAddress::parse("10.0.0.54");
    e.src_port = 50438;
    e.dest_ip = *IpAddress::parse("93.184.216.34");
    e.dest_port = 443;
    e.transport = ip_proto_tcp;
    e.src_fqdn = "ws1.example.com";
    e.src_hostname = "ws1";
    e.src_fqdn_source = NameSource::local;
    e.dest_fqdn = "www.example.com";
    e.dest_hostname = "www";
    e.dest_fqdn_source = NameSource::dns;
    e.pid = 4242;
    e.ppid = 4100;
    e.uid = 1000;
    e.user = "alice";
    e.exe = "curl";
    e.image_path = "/usr/bin/curl";
    e.comm = "curl";
    e.cgroup_id = 7788;
    e.hostname = "ws1";
    e.fqdn = "ws1.example.com";
    e.netns = 4026531840;
    e.out_bytes = 1200;
    e.in_bytes = 48000;
    e.packet_count = 60;
    e.tcp_flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::psh | tcp_flag::fin;
    e.network_direction = NetworkDirection::out;
    e.community_id = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
    e.initiated = true;
    e.end_reason = EndReason::close;
    return e;
  }();
  return event;
}

template <void (*Append)(const FlowEvent&, std::string&)>
void line_bench(benchmark::State& state) {
  const FlowEvent& ev = typical_end_event();
  std::string out;
  out.reserve(64 * 1024);
  size_t bytes = 0;
  for (auto _ : state) {
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

void BM_SchemaCarJson(benchmark::State& state) {
  line_bench<append_json_line>(state);
}
void BM_SchemaText(benchmark::State& state) {
  line_bench<append_text_line>(state);
}
void BM_SchemaOcsf(benchmark::State& state) {
  line_bench<append_ocsf_json_line>(state);
}
void BM_SchemaEcs(benchmark::State& state) {
  line_bench<append_ecs_json_line>(state);
}
BENCHMARK(BM_SchemaCarJson);
BENCHMARK(BM_SchemaText);
BENCHMARK(BM_SchemaOcsf);
BENCHMARK(BM_SchemaEcs);

}  // namespace
}  // namespace procflow

// BENCHMARK_MAIN plus --show_sample, which prints the measured event in every format.
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) != "--show_sample") continue;
    std::string out;
    const procflow::FlowEvent& e = procflow::typical_end_event();
    procflow::append_json_line(e, out);
    procflow::append_text_line(e, out);
    procflow::append_ocsf_json_line(e, out);
    procflow::append_ecs_json_line(e, out);
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
