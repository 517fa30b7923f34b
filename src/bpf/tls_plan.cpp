#include "bpf/tls_plan.h"

#include "bpf/tls_uprobes.h"

namespace procflow {

namespace {

// The probe failure of a need's last candidate, "" if it did not fail.
std::string probe_failure(const AttachPlan& plan, Need need, const KernelHookProber& prober) {
  const NeedChoice& choice = plan.choice(need);
  if (choice.probed.empty() || choice.probed.back().second) return "";
  return prober.failure(choice.probed.back().first->attach_point);
}

}  // namespace

TlsPlanLine describe_tls_plan(const AttachPlan& plan, const std::string& library,
                              std::string_view failure, bool content_capture,
                              std::string_view handshake_failure) {
  TlsPlanLine line;
  const NeedChoice& choice = plan.choice(Need::tls_plaintext);
  if (choice.chosen) {
    line.capturing = true;
    line.text = "TLS plaintext from " + library + " (" + tls_function_list();
    if (plan.choice(Need::tls_handshake).chosen) {
      line.text += "; sockets also from SSL_do_handshake)";
    } else if (!handshake_failure.empty()) {
      line.problem = true;
      line.text += "; not SSL_do_handshake: " + std::string(handshake_failure) + ")";
    } else {
      line.text += "; not SSL_do_handshake: not probed)";
    }
    return line;
  }
  if (!content_capture) {
    line.text = "no TLS plaintext: content capture is off (--content-bytes 0, content.bytes: 0)";
  } else if (!choice.disabled.empty()) {
    line.text =
        "no TLS plaintext: disabled (--no-tls-plaintext, content.tls_plaintext: false, or "
        "--disable-hook tls_uprobe)";
  } else if (!choice.probed.empty() && choice.probed.back().second) {
    line.problem = true;
    line.text =
        "no TLS plaintext: the uprobes work, but without the sock_{send,recv}_length "
        "tracepoints (Linux 6.3+) no call could be joined to its socket's flow";
  } else {
    line.problem = true;
    line.text = "no TLS plaintext: " + (failure.empty() ? std::string("the uprobes were not probed")
                                                        : std::string(failure));
  }
  return line;
}

TlsPlanLine describe_tls_plan(const AttachPlan& plan, const KernelHookProber& prober,
                              bool content_capture) {
  return describe_tls_plan(plan, prober.tls_library(),
                           probe_failure(plan, Need::tls_plaintext, prober), content_capture,
                           probe_failure(plan, Need::tls_handshake, prober));
}

}  // namespace procflow
