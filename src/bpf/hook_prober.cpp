#include "bpf/hook_prober.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf/bpf_session.h"
#include "bpf/libbpf_log.h"
#include "bpf/tls_library.h"
#include "bpf/tls_uprobes.h"

namespace procflow {
namespace {

// From the kernel's uapi (6.6+); libbpf 1.1's headers predate tcx.
constexpr int attach_type_tcx_ingress = 46;

}  // namespace

bool KernelHookProber::works(const HookCandidate& candidate) {
  auto it = memo_.find(candidate.attach_point);
  if (it != memo_.end()) return it->second;
  std::string why;
  bool ok = try_candidate(candidate, &why);
  memo_[candidate.attach_point] = ok;
  if (!ok) failures_[candidate.attach_point] = why;
  return ok;
}

std::string KernelHookProber::failure(std::string_view attach_point) const {
  auto it = failures_.find(attach_point);
  return it == failures_.end() ? "" : it->second;
}

bool KernelHookProber::try_candidate(const HookCandidate& candidate, std::string* why) {
  QuietLibbpf quiet;
  std::set<std::string_view> programs;
  for (auto p : candidate.programs)
    if (!p.empty()) programs.insert(p);
  SessionOptions options;
  options.probing = true;
  options.cgroup_path = cgroup_v2_;
  if (candidate.kind == HookKind::tls_uprobe) {
    // What loading cannot tell: the kernel's uprobe PMU and the library.
    // The attach below then needs each of the four symbols.
    if (*why = uprobe_support_problem(); !why->empty()) return false;
    auto library = find_shared_library(host_root_of(host_proc_), tls_soname, why);
    if (!library) return false;
    tls_library_ = *library;
    options.tls_library = *library;
  }
  auto session = BpfSession::load(programs, options, why);
  if (!session) return false;

  switch (candidate.kind) {
    case HookKind::clsact:
      return true;  // sched_cls loaded; clsact itself exists on every 5.8+ kernel
    case HookKind::raw_tracepoint: {
      std::string err;
      if (!session->request_snapshot(&err)) {
        *why = err;
        return false;
      }
      return true;
    }
    case HookKind::tcx: {
      // A link on an ifindex that cannot exist: a kernel that knows tcx looks
      // the device up and answers ENODEV; one that does not rejects the type.
      int fd = bpf_program__fd(session->program(candidate.programs[0]));
      int link = bpf_link_create(fd, 0x7ffffff0,
                                 static_cast<bpf_attach_type>(attach_type_tcx_ingress), nullptr);
      if (link >= 0) {
        close(link);
        return true;
      }
      if (errno == ENODEV) return true;
      *why = std::string("tcx links unsupported: ") + strerror(errno);
      return false;
    }
    default:
      return session->attach_tracing(why);
  }
}

}  // namespace procflow
