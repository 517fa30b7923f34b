// trace_with_max_flows: `procflow trace --format json` with the kernel's `flows` map sized by
// --max-flows, for bench/open_flows.sh.
//
// procflow's `flows` map holds 65 536 TCP sockets (SessionOptions::max_flows) and `procflow
// trace` has no option to change that, so 100 000 open flows cannot be measured with it: past
// the limit sockets are not tracked (counted as flow_map_full). This runs the same Tracer,
// serializer and writer as `procflow trace` (src/cli/trace_command.cpp) with no filters and a
// bigger map, so the memory of that many flows can be measured until the CLI can size the map.
//
// Exit report on stderr: records, flows started and ended, and every loss counter.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "output/json_serializer.h"
#include "output/line_sink.h"
#include "output/lost_event.h"
#include "output/sink_queue.h"
#include "procflow_abi.h"
#include "service/tracer.h"

namespace procflow {
namespace {

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--max-flows N] [--ring-buffer-kib KIB] [--interfaces IF[,IF...]]\n"
               "  procflow trace --format json, with the kernel's flows map sized for N TCP\n"
               "  sockets (procflow's default: 65536); until SIGINT or SIGTERM. The ring\n"
               "  buffer as procflow trace --ring-buffer-kib sizes it (default 8192).\n",
               argv0);
}

bool parse_options(int argc, char** argv, TracerOptions* options) {
  for (int i = 1; i < argc; i++) {
    std::string_view a = argv[i];
    if (i + 1 == argc) return false;
    const char* value = argv[++i];
    if (a == "--max-flows") {
      char* end = nullptr;
      const unsigned long n = std::strtoul(value, &end, 10);
      if (*end != '\0' || n == 0 || n > (1ul << 24)) return false;
      options->session.max_flows = static_cast<uint32_t>(n);
    } else if (a == "--ring-buffer-kib") {
      char* end = nullptr;
      const unsigned long kib = std::strtoul(value, &end, 10);
      if (*end != '\0' || kib < 4 || kib > (1ul << 20)) return false;
      uint32_t bytes = 4096;  // a power of two, as procflow trace rounds it
      while (bytes < kib * 1024) bytes <<= 1;
      options->session.ringbuf_bytes = bytes;
    } else if (a == "--interfaces") {
      std::string list = value;
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) options->interfaces.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else {
      return false;
    }
  }
  return true;
}

void report(const TracerStats& s) {
  spdlog::info("{} records, {} flows started, {} ended", s.records, s.flows_started, s.flows_ended);
  const LossCounts& l = s.losses;
  for (size_t k = 0; k < l.records.size(); k++)
    if (l.records[k])
      spdlog::warn("lost: {} {} records: the ring buffer was full", l.records[k],
                   record_kind_name(k));
  for (size_t r = 0; r < l.kernel.size(); r++)
    if (r != PF_DROP_RINGBUF_RESERVE && l.kernel[r])
      spdlog::warn("lost: {} {}", l.kernel[r], drop_reason_words(r));
  if (l.flows_end_lost) spdlog::warn("lost: {} flows' end records", l.flows_end_lost);
  if (l.events_not_written) spdlog::warn("lost: {} events not written", l.events_not_written);
}

int run(int argc, char** argv) {
  TracerOptions options;
  if (!parse_options(argc, argv, &options)) {
    usage(argv[0]);
    return 2;
  }
  options.output_fd = STDOUT_FILENO;
  SinkQueue out(LineSink::to_fd(STDOUT_FILENO));
  std::string line;
  auto emit = [&](const FlowEvent& e) {
    line.clear();
    append_json_line(e, line);
    out.offer(line);
  };
  options.output_dropped = [&out] { return out.stats().events_dropped; };
  std::string error;
  auto tracer = Tracer::start(options, emit, &error);
  if (!tracer) {
    spdlog::error("{}", error);
    return 1;
  }
  tracer->set_loss_handler([&](const LossCounts& delta, uint64_t since_us, uint64_t now_us) {
    line.clear();
    append_lost_json(delta, since_us, now_us, line);
    out.offer(line);
  });
  spdlog::info("tracing started (flows map: {} entries, ring buffer: {} KiB)",
               options.session.max_flows, options.session.ringbuf_bytes / 1024);
  auto after_batch = [&] {
    out.flush();
    return !out.broken();
  };
  if (!tracer->run(after_batch, &error)) {
    spdlog::error("{}", error);
    return 1;
  }
  out.drain(std::chrono::milliseconds(500));
  report(tracer->stats());
  return 0;
}

}  // namespace
}  // namespace procflow

int main(int argc, char** argv) {
  // stdout carries the events, as with procflow.
  auto logger = spdlog::stderr_color_st("trace_with_max_flows");
  logger->set_pattern("trace_with_max_flows: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  return procflow::run(argc, argv);
}
