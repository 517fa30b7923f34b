// Live tracing from a ServiceConfig, shared by `procflow trace` (built from
// its flags) and `procflow run` (read from YAML): the tracer, the outputs, the
// loss reports, and for the service the SIGHUP reload.
#pragma once

#include <functional>
#include <optional>

#include "config/service_config.h"

namespace procflow {

struct LiveMode {
  double duration_s = 0;  // 0: until a signal
  // `trace`: a person is reading. The reader of stdout going away stops
  // tracing, and --pid/--port also filter in the kernel.
  bool interactive = true;
  // SIGHUP: reads the config again; nullopt (after logging why) keeps the
  // running one. Unset: SIGHUP stops.
  std::function<std::optional<ServiceConfig>()> reload;
  // `top`: the events the filters pass are handed to on_event as well as to
  // the outputs, and after_batch runs after each batch; both on the loop's
  // thread, so what they feed needs no lock. after_batch returning false
  // stops tracing.
  std::function<void(const FlowEvent&)> on_event;
  std::function<bool()> after_batch;
  // With no output configured, events go to stdout as CAR JSON; `top` draws
  // the terminal itself and wants none.
  bool stdout_by_default = true;
};

// Exit status: 0 after a clean stop, 1 when tracing could not start or failed.
int run_live_tracing(const ServiceConfig& config, const LiveMode& mode);

}  // namespace procflow
