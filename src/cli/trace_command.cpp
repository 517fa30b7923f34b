#include "cli/trace_command.h"

#include <spdlog/spdlog.h>

#include "cli/live_tracing.h"
#include "cli/option_ranges.h"
#include "cli/output_options.h"
#include "cli/trace_options.h"

namespace procflow {
namespace {

struct TraceCommandArgs {
  OutputArgs output;
  uint32_t output_buffer_kib = 8192;
  TraceArgs trace;
};

int run_trace(const TraceCommandArgs& args) {
  ServiceConfig config;
  if (!build_trace_config(args.trace, &config)) return 2;
  std::string error;
  if (!build_output_routes(args.output, size_t{args.output_buffer_kib} * 1024, &config.outputs,
                           &error)) {
    spdlog::error("{}", error);
    return 2;
  }
  LiveMode mode;
  mode.duration_s = args.trace.duration;
  mode.interactive = true;  // SIGHUP (a closed terminal) stops, like SIGTERM
  return run_live_tracing(config, mode);
}

}  // namespace

std::function<int()> add_trace_command(CLI::App& app) {
  auto args = std::make_shared<TraceCommandArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "Live tracing of every TCP and UDP flow, to stdout");
  add_output_options(cmd, &args->output);
  add_trace_options(cmd, &args->trace);
  cmd->add_option("--output-buffer-kib", args->output_buffer_kib,
                  "events waiting for a slow output (each --output), in KiB; beyond it new events "
                  "are dropped and counted (default 8192)")
      ->type_name("KIB")
      ->transform(in_range(option_ranges::kOutputBufferKib));
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_trace(*args);
  };
}

}  // namespace procflow
