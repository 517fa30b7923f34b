// The attach plan as data: for every need of the tracer, the candidate hooks
// in preference order, what falling back costs, and which one this kernel got.
//
// The table is the single source of truth for the loader (which programs to
// autoload and attach), for `procflow probe` (what is printed) and for
// docs/attach-plan.md. Choosing is pure logic over a HookProber, so tests can
// fake any kernel.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace procflow {

enum class HookKind : uint8_t {
  fentry,
  fexit,
  kprobe,
  kretprobe,
  tp_btf,
  tracepoint,
  syscall_tracepoint,
  sock_length_tracepoint,
  state_transition,  // the CLOSE -> SYN_SENT transition seen by the state hook
  listener_owner,    // no hook: the process that called listen()
  tcx,
  clsact,
  raw_tracepoint,  // run on demand through BPF_PROG_TEST_RUN
  cgroup_sock_addr,
  cgroup_sock,
  bpf_iter,    // a BPF iterator, run once on demand
  tls_uprobe,  // uprobes + uretprobes on OpenSSL's libssl.so.3 (src/bpf/tls_uprobes.h)
};

// The name used by `--disable-hook` and printed by `procflow probe`.
std::string_view hook_kind_name(HookKind kind);
std::optional<HookKind> parse_hook_kind(std::string_view name);
// "fentry, fexit, ...": every name parse_hook_kind accepts.
std::string known_hook_kinds();

enum class Need : uint8_t {
  process_exec,
  process_fork,
  process_exit,
  tcp_state,
  tcp_connect,
  tcp_accept,
  tcp_socket_use,
  tcp_reset,
  packets,
  open_flow_counters,
  existing_sockets,
  udp_datagrams,
  udp_peers,
  udp_release,
  tls_plaintext,
  tls_handshake,
};
inline constexpr size_t need_count = 16;

struct HookCandidate {
  HookKind kind;
  std::string_view attach_point;             // e.g. "fentry/tcp_connect"
  std::array<std::string_view, 5> programs;  // BPF program names; "" = unused slot
  std::string_view cost;                     // what choosing this costs ("" = nothing)
};

struct NeedSpec {
  Need need;
  std::string_view name;
  bool required;                  // tracing cannot start without one candidate
  std::string_view cost_if_none;  // what is lost when no candidate works
  std::span<const HookCandidate> candidates;
};

// All needs, in the order they are printed.
std::span<const NeedSpec> attach_table();
const NeedSpec& need_spec(Need need);

// Answers "can this candidate be loaded and attached here?".
class HookProber {
 public:
  virtual ~HookProber() = default;
  virtual bool works(const HookCandidate& candidate) = 0;
};

struct NeedChoice {
  const NeedSpec* spec = nullptr;
  const HookCandidate* chosen = nullptr;  // nullptr: none works
  // Every candidate's probe result when probing all; else up to the chosen one.
  std::vector<std::pair<const HookCandidate*, bool>> probed;
  std::vector<const HookCandidate*> disabled;  // skipped by --disable-hook
};

struct AttachPlan {
  std::array<NeedChoice, need_count> choices;

  const NeedChoice& choice(Need need) const { return choices[static_cast<size_t>(need)]; }
  std::optional<HookKind> chosen_kind(Need need) const;
  // Programs to autoload: every program of every chosen candidate.
  std::set<std::string_view> programs() const;
  // The first required need without a working candidate, if any.
  const NeedSpec* missing_required() const;
  // "fentry/tcp_connect" style summary: "connect=tracepoint,accept=syscall_tp,..."
  std::string summary() const;
};

// probe_all: keep probing after the first working candidate (for `probe`).
AttachPlan choose_attach_plan(HookProber& prober, const std::set<HookKind>& disabled,
                              bool probe_all = false);

}  // namespace procflow
