// The one line that says whether TLS plaintext is captured, and if not why:
// logged by `trace` when it starts, printed by `probe` under the plan.
#pragma once

#include <string>
#include <string_view>

#include "bpf/attach_plan.h"
#include "bpf/hook_prober.h"

namespace procflow {

struct TlsPlanLine {
  bool capturing = false;
  bool problem = false;  // not capturing, or not the handshake, for a reason nobody asked for
  std::string text;
};

// library: where the uprobes were probed (KernelHookProber::tls_library());
// failure: why the probe failed ("" = it did not). content_capture: the
// payload bytes setting is not 0 (TLS capture follows it);
// handshake_failure: why the SSL_do_handshake probe failed ("" = it did not).
TlsPlanLine describe_tls_plan(const AttachPlan& plan, const std::string& library,
                              std::string_view failure, bool content_capture,
                              std::string_view handshake_failure = "");
// The same from the prober that made the plan.
TlsPlanLine describe_tls_plan(const AttachPlan& plan, const KernelHookProber& prober,
                              bool content_capture);

}  // namespace procflow
