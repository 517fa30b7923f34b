#include "cli/top_command.h"

#include <curses.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "cli/live_tracing.h"
#include "cli/option_ranges.h"
#include "cli/trace_options.h"
#include "top/flow_aggregator.h"
#include "top/screen_log.h"
#include "top/top_screen.h"

namespace procflow {
namespace {

struct TopArgs {
  TraceArgs trace;
  double refresh = 1;
};

uint64_t unix_us() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

// The tracer's loop drives everything: events go into the model as they are
// built, and after each batch (every 50 ms at most) the keys are read and,
// once a refresh interval has passed or a key changed the view, the screen is
// drawn. One thread, so the model needs no lock and no copy of an event.
int run_top(const TopArgs& args) {
  ServiceConfig config;
  if (!build_trace_config(args.trace, &config)) return 2;
  std::string error;
  if (!TopScreen::check_terminal(&error)) {
    spdlog::error("{}", error);
    return 2;
  }
  FlowAggregator model;
  ViewState state;
  ScreenLog log;
  std::unique_ptr<TopScreen> screen;
  bool screen_failed = false;
  const auto refresh = std::chrono::duration<double>(args.refresh);
  auto last_draw = std::chrono::steady_clock::time_point{};

  LiveMode mode;
  mode.duration_s = args.trace.duration;
  mode.interactive = true;  // SIGHUP (a closed terminal, an ssh hang-up) stops
  mode.stdout_by_default = false;
  mode.on_event = [&](const FlowEvent& e) { model.add(e); };
  mode.after_batch = [&]() {
    // Opened once tracing runs: until then the start-up log is on the terminal.
    if (!screen) {
      screen = TopScreen::open(&error);
      if (!screen) {
        screen_failed = true;
        return false;
      }
      log.capture();
    }
    bool redraw = false;
    for (int key; (key = screen->read_key()) != ERR;) {
      redraw |= handle_key(state, key, screen->row_keys(), screen->page()) == KeyEffect::redraw;
      if (state.quit) return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!state.paused && now - last_draw >= refresh) redraw = true;
    if (redraw) {
      const uint64_t now_us = unix_us();
      model.expire(now_us);
      screen->draw(model, state, now_us / 1'000'000, log.last_warning());
      last_draw = now;
    }
    return true;
  };
  const int status = run_live_tracing(config, mode);
  screen.reset();  // the terminal back first, then the log lines it held
  log.release();
  if (screen_failed) {
    spdlog::error("{}", error);
    return 1;
  }
  return status;
}

}  // namespace

std::function<int()> add_top_command(CLI::App& app) {
  auto args = std::make_shared<TopArgs>();
  // Rates are only as fresh as the flows' reports (flow_aggregator.h): one a
  // second unless asked otherwise.
  args->trace.report_interval = 1;
  CLI::App* cmd = app.add_subcommand(
      "top", "Full-screen live view of the flows, by process, remote endpoint or protocol");
  add_trace_options(cmd, &args->trace);
  cmd->add_option("--refresh", args->refresh, "redraw every SEC seconds (default 1)")
      ->type_name("SEC")
      ->transform(in_range(option_ranges::kTopRefresh));
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_top(*args);
  };
}

}  // namespace procflow
