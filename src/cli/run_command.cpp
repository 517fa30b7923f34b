#include "cli/run_command.h"

#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include "cli/live_tracing.h"
#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"
#include "config/service_config.h"

namespace procflow {
namespace {

// A config that cannot be used is a usage error, like a bad flag.
constexpr int kBadConfig = 2;

struct RunArgs {
  std::string config_path;
  bool check_only = false;
  double duration = 0;
};

std::optional<ServiceConfig> load(const std::string& path) {
  ServiceConfig config;
  std::vector<std::string> errors;
  if (load_service_config(path, &config, &errors)) return config;
  for (const std::string& e : errors) spdlog::error("{}", e);
  return std::nullopt;
}

void use_log_target(const ServiceConfig& config) {
  if (config.log_target != "syslog") return;
  auto logger = spdlog::syslog_logger_st("procflow-syslog", "procflow", LOG_PID, LOG_DAEMON);
  logger->set_pattern("%l: %v");
  spdlog::set_default_logger(logger);
}

int run_service(const RunArgs& args) {
  std::optional<ServiceConfig> config = load(args.config_path);
  if (!config) return kBadConfig;
  if (args.check_only) {
    spdlog::info("{}: the config is valid ({} outputs)", args.config_path,
                 config->outputs.empty() ? 1 : config->outputs.size());
    return 0;
  }
  use_log_target(*config);
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  LiveMode mode;
  mode.duration_s = args.duration;
  mode.interactive = false;
  mode.reload = [path = args.config_path]() -> std::optional<ServiceConfig> {
    auto loaded = load(path);
    if (!loaded) spdlog::error("reload refused: {} has problems; the running config stays", path);
    return loaded;
  };
  return run_live_tracing(*config, mode);
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "The service: trace with the outputs and filters of a config file; SIGHUP reloads it");
  cmd->add_option("--config", args->config_path, "the YAML config (see deploy/procflow.yaml)")
      ->required()
      ->type_name("FILE")
      ->check(non_empty("a config file"));
  cmd->add_flag("--check-config", args->check_only,
                "check the config, print every problem with its line, and exit (0: valid)");
  cmd->add_option("--duration", args->duration, "stop after SEC seconds (default: until a signal)")
      ->type_name("SEC")
      ->transform(in_range(option_ranges::kTraceDuration));
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_service(*args);
  };
}

}  // namespace procflow
