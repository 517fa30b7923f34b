#include "bpf/attach_plan.h"

#include <algorithm>

namespace procflow {
namespace {

constexpr HookCandidate exec_candidates[] = {
    {HookKind::tp_btf, "tp_btf/sched_process_exec", {"pf_exec_btf", ""}, ""},
    {HookKind::tracepoint,
     "tracepoint/sched/sched_process_exec",
     {"pf_exec_tp", ""},
     "slightly more per-exec cost (untyped tracepoint)"},
};
constexpr HookCandidate fork_candidates[] = {
    {HookKind::tp_btf, "tp_btf/sched_process_fork", {"pf_fork_btf", ""}, ""},
    {HookKind::tracepoint,
     "tracepoint/sched/sched_process_fork",
     {"pf_fork_tp", ""},
     "child found through the parent's task list (same result)"},
};
constexpr HookCandidate exit_candidates[] = {
    {HookKind::tp_btf, "tp_btf/sched_process_exit", {"pf_exit_btf", ""}, ""},
    {HookKind::tracepoint, "tracepoint/sched/sched_process_exit", {"pf_exit_tp", ""}, ""},
};
constexpr HookCandidate state_candidates[] = {
    {HookKind::tp_btf, "tp_btf/inet_sock_set_state", {"pf_state_btf", ""}, ""},
    {HookKind::tracepoint, "tracepoint/sock/inet_sock_set_state", {"pf_state_tp", ""}, ""},
};
constexpr HookCandidate connect_candidates[] = {
    {HookKind::fentry, "fentry/tcp_connect", {"pf_connect_fentry", ""}, ""},
    {HookKind::kprobe, "kprobe/tcp_connect", {"pf_connect_kprobe", ""}, ""},
    {HookKind::state_transition,
     "inet_sock_set_state CLOSE->SYN_SENT",
     {"", ""},
     "the source port is not chosen yet inside connect(): `start` waits for the handshake "
     "(or the close of a failed attempt) instead of going out at the SYN"},
};
constexpr HookCandidate accept_candidates[] = {
    {HookKind::fexit, "fexit/inet_csk_accept", {"pf_accept_fexit", ""}, ""},
    {HookKind::syscall_tracepoint,
     "tracepoint/syscalls/sys_exit_accept{,4}",
     {"pf_accept4_exit_tp", "pf_accept_exit_tp"},
     "accepts made inside the kernel (no accept syscall, e.g. io_uring) fall back to "
     "send/recv or the listener"},
    // After the syscall tracepoint: a kretprobe has a fixed number of
    // instances (as few as one per CPU without CONFIG_PREEMPTION), and every
    // worker blocked in accept() holds one, so busy pre-fork servers lose
    // accepts.
    {HookKind::kretprobe,
     "kretprobe/inet_csk_accept",
     {"pf_accept_kretprobe", ""},
     "a fixed number of kretprobe instances: accepts beyond the workers blocked in accept() "
     "at once may be missed and fall back to send/recv or the listener"},
    {HookKind::sock_length_tracepoint,
     "tracepoint/sock/sock_{send,recv}_length (first use)",
     {"pf_send_length_tp", "pf_recv_length_tp"},
     "an accepted socket is attributed when its process first sends or receives on it; "
     "until then, to the listener's owner"},
    {HookKind::listener_owner,
     "the process that called listen()",
     {"", ""},
     "a pre-forking server's connections are attributed to the process that created the "
     "listening socket, not the worker that accepted"},
};
constexpr HookCandidate socket_use_candidates[] = {
    {HookKind::sock_length_tracepoint,
     "tracepoint/sock/sock_{send,recv}_length",
     {"pf_send_length_tp", "pf_recv_length_tp"},
     ""},
};
constexpr HookCandidate reset_candidates[] = {
    {HookKind::tp_btf, "tp_btf/tcp_send_reset", {"pf_reset_btf", ""}, ""},
    {HookKind::tracepoint, "tracepoint/tcp/tcp_send_reset", {"pf_reset_tp", ""}, ""},
};
constexpr HookCandidate packet_candidates[] = {
    {HookKind::tcx, "tcx ingress+egress links", {"pf_tc_ingress", "pf_tc_egress"}, ""},
    {HookKind::clsact,
     "clsact qdisc + bpf filters",
     {"pf_tc_ingress", "pf_tc_egress"},
     "filters are not tied to the process: removed at exit, and stale ones at the next "
     "start after a crash"},
};

constexpr HookCandidate snapshot_candidates[] = {
    {HookKind::raw_tracepoint, "raw_tp program run by BPF_PROG_TEST_RUN", {"pf_snapshot", ""}, ""},
};

constexpr HookCandidate existing_candidates[] = {
    {HookKind::bpf_iter, "iter/tcp, run once at start", {"pf_iter_tcp", ""}, ""},
};

constexpr HookCandidate udp_datagram_candidates[] = {
    {HookKind::sock_length_tracepoint,
     "tracepoint/sock/sock_{send,recv}_length",
     {"pf_send_length_tp", "pf_recv_length_tp"},
     ""},
};
constexpr HookCandidate udp_peer_candidates[] = {
    {HookKind::cgroup_sock_addr,
     "cgroup/{send,recv}msg{4,6} on the cgroup v2 root",
     {"pf_udp_sendmsg4", "pf_udp_sendmsg6", "pf_udp_recvmsg4", "pf_udp_recvmsg6"},
     ""},
};
constexpr HookCandidate udp_release_candidates[] = {
    {HookKind::cgroup_sock, "cgroup/sock_release on the cgroup v2 root", {"pf_udp_release"}, ""},
};

// The library is found at probe time (src/bpf/tls_library.h): the attach
// point names what is looked for.
constexpr HookCandidate tls_candidates[] = {
    {HookKind::tls_uprobe,
     "uprobe+uretprobe libssl.so.3 SSL_{write,read}{,_ex}",
     {"pf_ssl_write_entry", "pf_ssl_read_entry", "pf_ssl_write_ex_entry", "pf_ssl_read_ex_entry",
      "pf_ssl_return"},
     ""},
};
// A need of its own so that a library whose handshake cannot be probed still
// gives its plaintext.
constexpr HookCandidate tls_handshake_candidates[] = {
    {HookKind::tls_uprobe,
     "uprobe+uretprobe libssl.so.3 SSL_do_handshake",
     {"pf_ssl_handshake_entry", "pf_ssl_return"},
     ""},
};

constexpr NeedSpec table[] = {
    {Need::process_exec, "exec", false,
     "exe/image_path of processes that exit before procflow reads /proc are lost", exec_candidates},
    {Need::process_fork, "fork", false,
     "forked children that never exec are named only while /proc has them", fork_candidates},
    {Need::process_exit, "exit", false, "exited processes stay cached until evicted",
     exit_candidates},
    {Need::tcp_state, "tcp_state", true, "no TCP flows at all", state_candidates},
    {Need::tcp_connect, "connect", true, "no outbound TCP flows", connect_candidates},
    {Need::tcp_accept, "accept", false, "", accept_candidates},
    {Need::tcp_socket_use, "socket_use", false,
     "sockets handed to another process (fork, fd passing) stay with their first owner",
     socket_use_candidates},
    {Need::tcp_reset, "tcp_reset", false,
     "an RST sent after the socket closed (SO_LINGER 0, unread data) and RSTs the kernel "
     "sends for a socket are missing from its packet_count and tcp_flags, and such a close "
     "after a FIN may end as `close` instead of `reset`",
     reset_candidates},
    {Need::packets, "packets", false,
     "tcp_flags only has the flags the state changes imply (no PSH/URG/ECE/CWR), and there "
     "are no DNS names",
     packet_candidates},
    {Need::open_flow_counters, "open_flow_counters", false,
     "flows still open when procflow stops end without byte and segment counts",
     snapshot_candidates},
    {Need::existing_sockets, "existing_sockets", false,
     "TCP connections and listeners that exist when procflow starts are not reported: their "
     "flows are missed, and connections to those listeners get an owner only at accept or "
     "first use (iter/tcp needs Linux 5.9+)",
     existing_candidates},
    {Need::udp_datagrams, "udp", false, "no UDP flows (needs Linux 6.3+)", udp_datagram_candidates},
    {Need::udp_peers, "udp_peers", false,
     "datagrams of unconnected UDP sockets (sendto/recvfrom) are not counted", udp_peer_candidates},
    {Need::udp_release, "udp_release", false,
     "UDP flows end only by idle timeout or at shutdown, not when their socket closes",
     udp_release_candidates},
    {Need::tls_plaintext, "tls_plaintext", false,
     "no TLS plaintext: the content of TLS connections is only the encrypted bytes on the wire "
     "(needs the uprobes and the sock_{send,recv}_length tracepoints, Linux 6.3+, that name "
     "each call's socket)",
     tls_candidates},
    {Need::tls_handshake, "tls_handshake", false,
     "plaintext a server read inside the TLS handshake (nginx with TLS 1.3: the request) joins no "
     "flow (needs tls_plaintext and the sock_{send,recv}_length tracepoints, Linux 6.3+)",
     tls_handshake_candidates},
};
static_assert(std::size(table) == need_count, "every Need has a row in the attach table");

constexpr std::pair<HookKind, std::string_view> kind_names[] = {
    {HookKind::fentry, "fentry"},
    {HookKind::fexit, "fexit"},
    {HookKind::kprobe, "kprobe"},
    {HookKind::kretprobe, "kretprobe"},
    {HookKind::tp_btf, "tp_btf"},
    {HookKind::tracepoint, "tracepoint"},
    {HookKind::syscall_tracepoint, "syscall_tp"},
    {HookKind::sock_length_tracepoint, "sock_length"},
    {HookKind::state_transition, "state_transition"},
    {HookKind::listener_owner, "listener"},
    {HookKind::tcx, "tcx"},
    {HookKind::clsact, "clsact"},
    {HookKind::raw_tracepoint, "raw_tp"},
    {HookKind::cgroup_sock_addr, "cgroup_sock_addr"},
    {HookKind::cgroup_sock, "cgroup_sock"},
    {HookKind::bpf_iter, "bpf_iter"},
    {HookKind::tls_uprobe, "tls_uprobe"},
};

}  // namespace

std::string_view hook_kind_name(HookKind kind) {
  for (const auto& [k, name] : kind_names)
    if (k == kind) return name;
  return "?";
}

std::optional<HookKind> parse_hook_kind(std::string_view name) {
  for (const auto& [k, n] : kind_names)
    if (n == name) return k;
  return std::nullopt;
}

std::string known_hook_kinds() {
  std::string out;
  for (const auto& [k, name] : kind_names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::span<const NeedSpec> attach_table() {
  return table;
}

const NeedSpec& need_spec(Need need) {
  return table[static_cast<size_t>(need)];
}

std::optional<HookKind> AttachPlan::chosen_kind(Need need) const {
  const auto* c = choice(need).chosen;
  if (!c) return std::nullopt;
  return c->kind;
}

std::set<std::string_view> AttachPlan::programs() const {
  std::set<std::string_view> out;
  for (const auto& c : choices) {
    if (!c.chosen) continue;
    for (auto p : c.chosen->programs)
      if (!p.empty()) out.insert(p);
  }
  return out;
}

const NeedSpec* AttachPlan::missing_required() const {
  for (const auto& c : choices)
    if (c.spec && c.spec->required && !c.chosen) return c.spec;
  return nullptr;
}

std::string AttachPlan::summary() const {
  std::string out;
  for (const auto& c : choices) {
    if (!out.empty()) out += ',';
    out += c.spec->name;
    out += '=';
    out += c.chosen ? hook_kind_name(c.chosen->kind) : "none";
  }
  return out;
}

AttachPlan choose_attach_plan(HookProber& prober, const std::set<HookKind>& disabled,
                              bool probe_all) {
  AttachPlan plan;
  for (const auto& spec : table) {
    auto& choice = plan.choices[static_cast<size_t>(spec.need)];
    choice.spec = &spec;
    for (const auto& candidate : spec.candidates) {
      if (disabled.count(candidate.kind)) {
        choice.disabled.push_back(&candidate);
        continue;
      }
      if (choice.chosen && !probe_all) break;
      bool ok;
      switch (candidate.kind) {
        case HookKind::state_transition:
          // Part of the state program: works whenever that one was chosen.
          ok = plan.choice(Need::tcp_state).chosen != nullptr;
          break;
        case HookKind::listener_owner:
          ok = plan.choice(Need::tcp_state).chosen != nullptr;
          break;
        default:
          ok = prober.works(candidate);
      }
      choice.probed.emplace_back(&candidate, ok);
      if (ok && !choice.chosen) choice.chosen = &candidate;
    }
  }
  // Peers and releases only serve datagrams that are counted: without the
  // datagram hook, attaching them would cost every socket for nothing.
  if (!plan.choice(Need::udp_datagrams).chosen) {
    plan.choices[static_cast<size_t>(Need::udp_peers)].chosen = nullptr;
    plan.choices[static_cast<size_t>(Need::udp_release)].chosen = nullptr;
  }
  // The TLS probes learn which socket a call used from the send/recv
  // tracepoints that fire inside it: without them no plaintext could join its
  // flow, and every SSL call of every process would pay the uprobes for
  // nothing. The handshake probe only serves the plaintext probes.
  const bool sock_length = std::ranges::any_of(
      std::array{Need::tcp_accept, Need::tcp_socket_use, Need::udp_datagrams},
      [&plan](Need n) { return plan.chosen_kind(n) == HookKind::sock_length_tracepoint; });
  if (!sock_length) plan.choices[static_cast<size_t>(Need::tls_plaintext)].chosen = nullptr;
  if (!plan.choice(Need::tls_plaintext).chosen)
    plan.choices[static_cast<size_t>(Need::tls_handshake)].chosen = nullptr;
  return plan;
}

}  // namespace procflow
