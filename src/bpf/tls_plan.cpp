#include "bpf/tls_plan.h"

#include "bpf/tls_uprobes.h"

namespace procflow {

TlsPlanLine describe_tls_plan(const AttachPlan& plan, const std::string& library,
                              std::string_view failure, bool content_capture) {
  TlsPlanLine line;
  const NeedChoice& choice = plan.choice(Need::tls_plaintext);
  if (choice.chosen) {
    line.capturing = true;
    line.text = "TLS plaintext from " + library + " (" + tls_function_list() + ")";
    return line;
  }
  if (!content_capture) {
    line.text = "no TLS plaintext: content capture is off (--content-bytes 0, content.bytes: 0)";
  } else if (!choice.disabled.empty()) {
    line.text =
        "no TLS plaintext: disabled (--no-tls-plaintext, content.tls_plaintext: false, or "
        "--disable-hook tls_uprobe)";
  } else {
    line.problem = true;
    line.text = "no TLS plaintext: " + (failure.empty() ? std::string("the uprobes were not probed")
                                                        : std::string(failure));
  }
  return line;
}

TlsPlanLine describe_tls_plan(const AttachPlan& plan, const KernelHookProber& prober,
                              bool content_capture) {
  const NeedChoice& choice = plan.choice(Need::tls_plaintext);
  std::string failure;
  if (!choice.probed.empty()) failure = prober.failure(choice.probed.back().first->attach_point);
  return describe_tls_plan(plan, prober.tls_library(), failure, content_capture);
}

}  // namespace procflow
