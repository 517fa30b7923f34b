// Probing by doing: a hook "works" only when a program on it loads AND
// attaches (loading alone lies on some kernels). Each candidate is tried in a
// throw-away instance of the real BPF object with tiny maps, and the answer is
// memoized for the life of the prober.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "bpf/attach_plan.h"

namespace procflow {

class KernelHookProber : public HookProber {
 public:
  // cgroup_v2: where cgroup programs are test-attached ("" = they fail).
  // host_proc: the host's /proc; the TLS library is looked for under the
  // host's root it leads to (src/bpf/tls_library.h).
  explicit KernelHookProber(std::string cgroup_v2 = "", std::string host_proc = "/proc")
      : cgroup_v2_(std::move(cgroup_v2)), host_proc_(std::move(host_proc)) {}
  bool works(const HookCandidate& candidate) override;
  // Why the last failing probe of this attach point failed ("" if it worked).
  std::string failure(std::string_view attach_point) const;
  // The libssl.so.3 the TLS uprobes were probed on ("" = not found, not probed).
  const std::string& tls_library() const { return tls_library_; }

 private:
  bool try_candidate(const HookCandidate& candidate, std::string* why);
  std::string cgroup_v2_;
  std::string host_proc_;
  std::string tls_library_;
  std::map<std::string_view, bool> memo_;
  std::map<std::string_view, std::string> failures_;
};

}  // namespace procflow
