// procflow: process-aware network flow tracing with eBPF. Subcommands live in
// src/cli/; this file only wires them up and sets logging to stderr (stdout
// carries the events).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/probe_command.h"
#include "cli/replay_command.h"
#include "cli/run_command.h"
#include "cli/top_command.h"
#include "cli/trace_command.h"
#include "cli/usage_error.h"

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_st("procflow");
  logger->set_pattern("procflow: %^%l%$: %v");
  spdlog::set_default_logger(logger);

  CLI::App app{"procflow: which process opened every network flow, and what it moved"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.set_version_flag("--version", PROCFLOW_VERSION);
  auto trace = procflow::add_trace_command(app);
  auto probe = procflow::add_probe_command(app);
  auto replay = procflow::add_replay_command(app);
  auto run = procflow::add_run_command(app);
  auto top = procflow::add_top_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return procflow::report_parse_error(app, e);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  for (const auto& command : {trace, probe, replay, run, top}) {
    int status = command();
    if (status >= 0) return status;
  }
  return 2;
}
