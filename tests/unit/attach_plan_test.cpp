// Tests the attach plan: the table's invariants, and choose_attach_plan over a
// fake HookProber shaped like several kernels (everything available, this
// machine without fentry/fexit/kprobe, no state hook at all), --disable-hook,
// probe_all, programs(), summary() and the hook kind names.
#include "bpf/attach_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace procflow {
namespace {

// A kernel where only the listed hook kinds (or attach points) work.
class FakeProber : public HookProber {
 public:
  std::set<HookKind> kinds;
  std::set<std::string> attach_points;
  std::set<std::string> failing;   // fail whatever their kind
  std::vector<std::string> asked;  // every attach point probed, in order

  bool works(const HookCandidate& c) override {
    asked.emplace_back(c.attach_point);
    if (failing.count(std::string(c.attach_point))) return false;
    return kinds.count(c.kind) || attach_points.count(std::string(c.attach_point));
  }
};

const std::set<HookKind> kEveryKind = {
    HookKind::fentry,
    HookKind::fexit,
    HookKind::kprobe,
    HookKind::kretprobe,
    HookKind::tp_btf,
    HookKind::tracepoint,
    HookKind::syscall_tracepoint,
    HookKind::sock_length_tracepoint,
    HookKind::tcx,
    HookKind::clsact,
    HookKind::raw_tracepoint,
    HookKind::cgroup_sock_addr,
    HookKind::cgroup_sock,
    HookKind::bpf_iter,
};

// This machine: BTF tracepoints and tcx, but no fentry/fexit and no kprobes.
const std::set<HookKind> kNoTrampolines = {
    HookKind::tp_btf,
    HookKind::tracepoint,
    HookKind::syscall_tracepoint,
    HookKind::sock_length_tracepoint,
    HookKind::tcx,
    HookKind::clsact,
    HookKind::raw_tracepoint,
    HookKind::cgroup_sock_addr,
    HookKind::cgroup_sock,
    HookKind::bpf_iter,
};

bool is_synthetic(HookKind kind) {
  return kind == HookKind::state_transition || kind == HookKind::listener_owner;
}

TEST(AttachTableTest, HasEveryNeedInEnumOrder) {
  auto table = attach_table();
  ASSERT_EQ(table.size(), need_count);
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(table[i].need), i);
    EXPECT_EQ(&need_spec(table[i].need), &table[i]);
    EXPECT_FALSE(table[i].name.empty());
  }
}

TEST(AttachTableTest, NeedNames) {
  std::vector<std::string_view> names;
  for (const auto& spec : attach_table()) names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{
                       "exec", "fork", "exit", "tcp_state", "connect", "accept", "socket_use",
                       "tcp_reset", "packets", "open_flow_counters", "existing_sockets", "udp",
                       "udp_peers", "udp_release", "tls_plaintext", "tls_handshake"}));
}

TEST(AttachTableTest, OnlyStateAndConnectAreRequired) {
  for (const auto& spec : attach_table()) {
    const bool expect = spec.need == Need::tcp_state || spec.need == Need::tcp_connect;
    EXPECT_EQ(spec.required, expect) << spec.name;
  }
}

TEST(AttachTableTest, EveryNeedHasACandidateAndEveryRealCandidateAProgram) {
  for (const auto& spec : attach_table()) {
    EXPECT_FALSE(spec.candidates.empty()) << spec.name;
    for (const auto& c : spec.candidates) {
      EXPECT_FALSE(c.attach_point.empty()) << spec.name;
      if (is_synthetic(c.kind)) {
        EXPECT_TRUE(c.programs[0].empty() && c.programs[1].empty()) << c.attach_point;
        EXPECT_FALSE(c.cost.empty())
            << "a synthetic fallback always costs something: " << c.attach_point;
      } else {
        EXPECT_FALSE(c.programs[0].empty()) << c.attach_point;
      }
    }
  }
}

TEST(AttachTableTest, OptionalNeedsWithAFallbackSayWhatIsLost) {
  for (const auto& spec : attach_table()) {
    if (spec.required) continue;
    // accept always ends at listener_owner, which cannot fail while tcp_state works.
    if (spec.need == Need::tcp_accept) continue;
    EXPECT_FALSE(spec.cost_if_none.empty()) << spec.name;
  }
}

TEST(AttachTableTest, PreferredCandidates) {
  EXPECT_EQ(need_spec(Need::tcp_connect).candidates[0].kind, HookKind::fentry);
  EXPECT_EQ(need_spec(Need::tcp_connect).candidates[0].attach_point, "fentry/tcp_connect");
  EXPECT_EQ(need_spec(Need::tcp_accept).candidates[0].kind, HookKind::fexit);
  EXPECT_EQ(need_spec(Need::tcp_accept).candidates[0].attach_point, "fexit/inet_csk_accept");
  EXPECT_EQ(need_spec(Need::tcp_state).candidates[0].kind, HookKind::tp_btf);
  EXPECT_EQ(need_spec(Need::packets).candidates[0].kind, HookKind::tcx);
}

TEST(HookKindTest, NamesRoundTrip) {
  const HookKind all[] = {
      HookKind::fentry,
      HookKind::fexit,
      HookKind::kprobe,
      HookKind::kretprobe,
      HookKind::tp_btf,
      HookKind::tracepoint,
      HookKind::syscall_tracepoint,
      HookKind::sock_length_tracepoint,
      HookKind::state_transition,
      HookKind::listener_owner,
      HookKind::tcx,
      HookKind::clsact,
      HookKind::raw_tracepoint,
      HookKind::cgroup_sock_addr,
      HookKind::cgroup_sock,
      HookKind::bpf_iter,
      HookKind::tls_uprobe,
  };
  std::set<std::string_view> seen;
  for (HookKind k : all) {
    std::string_view name = hook_kind_name(k);
    EXPECT_NE(name, "?");
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    auto back = parse_hook_kind(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, k) << name;
  }
}

TEST(HookKindTest, ExactNames) {
  EXPECT_EQ(hook_kind_name(HookKind::fentry), "fentry");
  EXPECT_EQ(hook_kind_name(HookKind::syscall_tracepoint), "syscall_tp");
  EXPECT_EQ(hook_kind_name(HookKind::sock_length_tracepoint), "sock_length");
  EXPECT_EQ(hook_kind_name(HookKind::listener_owner), "listener");
  EXPECT_EQ(hook_kind_name(HookKind::raw_tracepoint), "raw_tp");
  EXPECT_EQ(hook_kind_name(HookKind::state_transition), "state_transition");
  EXPECT_EQ(hook_kind_name(HookKind::tls_uprobe), "tls_uprobe");
}

TEST(HookKindTest, ParseRejectsUnknownNames) {
  EXPECT_FALSE(parse_hook_kind("").has_value());
  EXPECT_FALSE(parse_hook_kind("FENTRY").has_value());
  EXPECT_FALSE(parse_hook_kind("fentry ").has_value());
  EXPECT_FALSE(parse_hook_kind("syscall_tracepoint").has_value());
  EXPECT_FALSE(parse_hook_kind("uprobe").has_value());
}

TEST(ChooseAttachPlanTest, KernelWithEverythingGetsThePreferredHooks) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.chosen_kind(Need::process_exec), HookKind::tp_btf);
  EXPECT_EQ(plan.chosen_kind(Need::process_fork), HookKind::tp_btf);
  EXPECT_EQ(plan.chosen_kind(Need::process_exit), HookKind::tp_btf);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_state), HookKind::tp_btf);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::fentry);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::fexit);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_socket_use), HookKind::sock_length_tracepoint);
  EXPECT_EQ(plan.chosen_kind(Need::packets), HookKind::tcx);
  EXPECT_EQ(plan.chosen_kind(Need::open_flow_counters), HookKind::raw_tracepoint);
  EXPECT_EQ(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.summary(),
            "exec=tp_btf,fork=tp_btf,exit=tp_btf,tcp_state=tp_btf,connect=fentry,accept=fexit,"
            "socket_use=sock_length,tcp_reset=tp_btf,packets=tcx,open_flow_counters=raw_tp,"
            "existing_sockets=bpf_iter,udp=sock_length,udp_peers=cgroup_sock_addr,udp_release="
            "cgroup_sock,tls_plaintext=none,tls_handshake=none");
}

TEST(ChooseAttachPlanTest, EveryChoiceKnowsItsSpec) {
  FakeProber prober;
  AttachPlan plan = choose_attach_plan(prober, {});
  for (const auto& spec : attach_table()) EXPECT_EQ(plan.choice(spec.need).spec, &spec);
}

TEST(ChooseAttachPlanTest, StopsProbingAtTheFirstWorkingCandidate) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {});
  const auto& connect = plan.choice(Need::tcp_connect);
  ASSERT_EQ(connect.probed.size(), 1u);
  EXPECT_EQ(connect.probed[0].first->kind, HookKind::fentry);
  EXPECT_TRUE(connect.probed[0].second);
  // One probe per need: nothing beyond the first candidate was asked.
  EXPECT_EQ(prober.asked.size(), need_count);
}

TEST(ChooseAttachPlanTest, KernelWithEverythingPrograms) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.programs(),
            (std::set<std::string_view>{
                "pf_exec_btf", "pf_fork_btf", "pf_exit_btf", "pf_state_btf", "pf_connect_fentry",
                "pf_accept_fexit", "pf_send_length_tp", "pf_recv_length_tp", "pf_reset_btf",
                "pf_tc_ingress", "pf_tc_egress", "pf_snapshot", "pf_iter_tcp", "pf_udp_sendmsg4",
                "pf_udp_sendmsg6", "pf_udp_recvmsg4", "pf_udp_recvmsg6", "pf_udp_release"}));
}

TEST(ChooseAttachPlanTest, ThisMachineWithoutTrampolinesOrKprobes) {
  FakeProber prober;
  prober.kinds = kNoTrampolines;
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.chosen_kind(Need::tcp_state), HookKind::tp_btf);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::state_transition);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::syscall_tracepoint);
  EXPECT_EQ(plan.chosen_kind(Need::packets), HookKind::tcx);
  EXPECT_EQ(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.summary(),
            "exec=tp_btf,fork=tp_btf,exit=tp_btf,tcp_state=tp_btf,connect=state_transition,"
            "accept=syscall_tp,socket_use=sock_length,tcp_reset=tp_btf,packets=tcx,"
            "open_flow_counters=raw_tp,"
            "existing_sockets=bpf_iter,udp=sock_length,udp_peers=cgroup_sock_addr,udp_release="
            "cgroup_sock,tls_plaintext=none,tls_handshake=none");

  // connect probed fentry and kprobe (both failed); the state transition is
  // not asked of the prober.
  const auto& connect = plan.choice(Need::tcp_connect);
  ASSERT_EQ(connect.probed.size(), 3u);
  EXPECT_EQ(connect.probed[0].first->kind, HookKind::fentry);
  EXPECT_FALSE(connect.probed[0].second);
  EXPECT_EQ(connect.probed[1].first->kind, HookKind::kprobe);
  EXPECT_FALSE(connect.probed[1].second);
  EXPECT_EQ(connect.probed[2].first->kind, HookKind::state_transition);
  EXPECT_TRUE(connect.probed[2].second);
  for (const auto& a : prober.asked) EXPECT_NE(a, "inet_sock_set_state CLOSE->SYN_SENT");

  // The state-transition connect adds no program of its own.
  EXPECT_EQ(plan.programs(),
            (std::set<std::string_view>{
                "pf_exec_btf", "pf_fork_btf", "pf_exit_btf", "pf_state_btf", "pf_accept4_exit_tp",
                "pf_accept_exit_tp", "pf_send_length_tp", "pf_recv_length_tp", "pf_reset_btf",
                "pf_tc_ingress", "pf_tc_egress", "pf_snapshot", "pf_iter_tcp", "pf_udp_sendmsg4",
                "pf_udp_sendmsg6", "pf_udp_recvmsg4", "pf_udp_recvmsg6", "pf_udp_release"}));
}

TEST(ChooseAttachPlanTest, OldKernelFallsBackToTracepointsKprobesAndClsact) {
  FakeProber prober;
  prober.kinds = {HookKind::kprobe, HookKind::kretprobe, HookKind::tracepoint, HookKind::clsact};
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.summary(),
            "exec=tracepoint,fork=tracepoint,exit=tracepoint,tcp_state=tracepoint,connect=kprobe,"
            "accept=kretprobe,socket_use=none,tcp_reset=tracepoint,packets=clsact,"
            "open_flow_counters=none,existing_sockets=none,"
            "udp=none,udp_peers=none,udp_release=none,tls_plaintext=none,tls_handshake=none");
  EXPECT_EQ(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.choice(Need::tcp_socket_use).chosen, nullptr);
  EXPECT_FALSE(plan.chosen_kind(Need::open_flow_counters).has_value());
}

TEST(ChooseAttachPlanTest, AcceptFallsBackToListenerOwner) {
  FakeProber prober;
  prober.kinds = {HookKind::tp_btf};
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::listener_owner);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::state_transition);
  EXPECT_EQ(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.programs(),
            (std::set<std::string_view>{"pf_exec_btf", "pf_fork_btf", "pf_exit_btf", "pf_state_btf",
                                        "pf_reset_btf"}));
}

TEST(ChooseAttachPlanTest, SpecificAttachPointsCanFail) {
  // Kernels may have a hook kind but not one function (e.g. inlined).
  FakeProber prober;
  prober.kinds = {HookKind::tp_btf, HookKind::tcx, HookKind::raw_tracepoint,
                  HookKind::syscall_tracepoint};
  prober.attach_points = {"fentry/tcp_connect"};  // fentry works only here, not on accept
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::fentry);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::syscall_tracepoint);
}

TEST(ChooseAttachPlanTest, MissingStateHookNamesTcpState) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  prober.kinds.erase(HookKind::tp_btf);
  prober.kinds.erase(HookKind::tracepoint);
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.choice(Need::tcp_state).chosen, nullptr);
  const NeedSpec* missing = plan.missing_required();
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->need, Need::tcp_state);
  EXPECT_EQ(missing->name, "tcp_state");
  // The process hooks are gone too (tracepoints), connect still has fentry.
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::fentry);
  EXPECT_EQ(plan.summary(),
            "exec=none,fork=none,exit=none,tcp_state=none,connect=fentry,accept=fexit,"
            "socket_use=sock_length,tcp_reset=none,packets=tcx,open_flow_counters=raw_tp,"
            "existing_sockets=bpf_iter,udp=sock_length,udp_peers=cgroup_sock_addr,udp_release="
            "cgroup_sock,tls_plaintext=none,tls_handshake=none");
}

TEST(ChooseAttachPlanTest, WithoutStateHookTheSyntheticFallbacksDoNotWork) {
  FakeProber prober;  // nothing works
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.missing_required()->need, Need::tcp_state);
  EXPECT_EQ(plan.choice(Need::tcp_connect).chosen, nullptr);
  EXPECT_EQ(plan.choice(Need::tcp_accept).chosen, nullptr);
  const auto& connect = plan.choice(Need::tcp_connect);
  ASSERT_EQ(connect.probed.size(), 3u);
  EXPECT_FALSE(connect.probed[2].second);  // state_transition: no state program
  EXPECT_TRUE(plan.programs().empty());
  EXPECT_EQ(plan.summary(),
            "exec=none,fork=none,exit=none,tcp_state=none,connect=none,accept=none,"
            "socket_use=none,tcp_reset=none,packets=none,open_flow_counters=none,"
            "existing_sockets=none,udp=none,udp_peers=none,udp_release=none,tls_plaintext=none,tls_"
            "handshake=none");
}

TEST(ChooseAttachPlanTest, MissingConnectIsReportedWhenStateWorks) {
  // Required needs are reported in table order: tcp_state before connect.
  FakeProber prober;
  prober.kinds = {HookKind::tp_btf};
  AttachPlan plan =
      choose_attach_plan(prober, {HookKind::fentry, HookKind::kprobe, HookKind::state_transition});
  ASSERT_NE(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.missing_required()->need, Need::tcp_connect);
  EXPECT_EQ(plan.missing_required()->name, "connect");
}

TEST(ChooseAttachPlanTest, DisabledKindsAreSkippedAndListed) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {HookKind::fentry, HookKind::fexit});
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::kprobe);
  // The accept syscall's tracepoint ranks above kretprobe (fixed instances).
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::syscall_tracepoint);

  const auto& connect = plan.choice(Need::tcp_connect);
  ASSERT_EQ(connect.disabled.size(), 1u);
  EXPECT_EQ(connect.disabled[0]->kind, HookKind::fentry);
  ASSERT_EQ(connect.probed.size(), 1u);
  EXPECT_EQ(connect.probed[0].first->kind, HookKind::kprobe);
  const auto& accept = plan.choice(Need::tcp_accept);
  ASSERT_EQ(accept.disabled.size(), 1u);
  EXPECT_EQ(accept.disabled[0]->kind, HookKind::fexit);

  // A disabled hook is never probed.
  for (const auto& a : prober.asked) {
    EXPECT_NE(a, "fentry/tcp_connect");
    EXPECT_NE(a, "fexit/inet_csk_accept");
  }
  // Needs without a disabled candidate list none.
  EXPECT_TRUE(plan.choice(Need::tcp_state).disabled.empty());
  EXPECT_EQ(plan.programs().count("pf_connect_kprobe"), 1u);
  EXPECT_EQ(plan.programs().count("pf_connect_fentry"), 0u);
}

TEST(ChooseAttachPlanTest, DisablingTpBtfFallsBackToTracepointsEverywhere) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {HookKind::tp_btf});
  EXPECT_EQ(plan.chosen_kind(Need::process_exec), HookKind::tracepoint);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_state), HookKind::tracepoint);
  EXPECT_EQ(plan.choice(Need::tcp_state).disabled.size(), 1u);
  EXPECT_EQ(plan.programs().count("pf_state_tp"), 1u);
  EXPECT_EQ(plan.programs().count("pf_state_btf"), 0u);
}

TEST(ChooseAttachPlanTest, DisablingTheSyntheticConnectLeavesNoConnect) {
  FakeProber prober;
  prober.kinds = kNoTrampolines;
  AttachPlan plan = choose_attach_plan(prober, {HookKind::state_transition});
  EXPECT_EQ(plan.choice(Need::tcp_connect).chosen, nullptr);
  EXPECT_EQ(plan.missing_required()->need, Need::tcp_connect);
}

TEST(ChooseAttachPlanTest, DisablingEveryTcpStateHookIsMissingRequired) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {HookKind::tp_btf, HookKind::tracepoint});
  ASSERT_NE(plan.missing_required(), nullptr);
  EXPECT_EQ(plan.missing_required()->name, "tcp_state");
  EXPECT_EQ(plan.choice(Need::tcp_state).disabled.size(), 2u);
  EXPECT_TRUE(plan.choice(Need::tcp_state).probed.empty());
}

TEST(ChooseAttachPlanTest, ProbeAllProbesEveryCandidate) {
  FakeProber prober;
  prober.kinds = kNoTrampolines;
  AttachPlan plan = choose_attach_plan(prober, {}, /*probe_all=*/true);
  size_t real_candidates = 0;
  for (const auto& spec : attach_table()) {
    const auto& choice = plan.choice(spec.need);
    ASSERT_EQ(choice.probed.size(), spec.candidates.size()) << spec.name;
    for (size_t i = 0; i < spec.candidates.size(); ++i) {
      EXPECT_EQ(choice.probed[i].first, &spec.candidates[i]) << spec.name;
      if (!is_synthetic(spec.candidates[i].kind)) ++real_candidates;
    }
  }
  EXPECT_EQ(prober.asked.size(), real_candidates);

  // The choice is still the first that works, and results are per candidate.
  EXPECT_EQ(plan.chosen_kind(Need::tcp_connect), HookKind::state_transition);
  EXPECT_EQ(plan.chosen_kind(Need::tcp_accept), HookKind::syscall_tracepoint);
  const auto& accept = plan.choice(Need::tcp_accept);
  ASSERT_EQ(accept.probed.size(), 5u);
  EXPECT_FALSE(accept.probed[0].second);  // fexit
  EXPECT_TRUE(accept.probed[1].second);   // syscall_tp
  EXPECT_FALSE(accept.probed[2].second);  // kretprobe
  EXPECT_TRUE(accept.probed[3].second);   // sock_length
  EXPECT_TRUE(accept.probed[4].second);   // listener
  EXPECT_EQ(plan.chosen_kind(Need::packets), HookKind::tcx);
  EXPECT_EQ(plan.choice(Need::packets).probed.size(), 2u);
  EXPECT_TRUE(plan.choice(Need::packets).probed[1].second);  // clsact works too

  // probe_all does not change what is loaded.
  FakeProber again;
  again.kinds = kNoTrampolines;
  EXPECT_EQ(choose_attach_plan(again, {}).programs(), plan.programs());
  EXPECT_EQ(choose_attach_plan(again, {}).summary(), plan.summary());
}

TEST(ChooseAttachPlanTest, ProbeAllStillSkipsDisabled) {
  FakeProber prober;
  prober.kinds = kEveryKind;
  AttachPlan plan = choose_attach_plan(prober, {HookKind::kprobe}, true);
  const auto& connect = plan.choice(Need::tcp_connect);
  ASSERT_EQ(connect.probed.size(), 2u);  // fentry, state_transition
  EXPECT_EQ(connect.probed[0].first->kind, HookKind::fentry);
  EXPECT_EQ(connect.probed[1].first->kind, HookKind::state_transition);
  ASSERT_EQ(connect.disabled.size(), 1u);
  EXPECT_EQ(connect.disabled[0]->kind, HookKind::kprobe);
  for (const auto& a : prober.asked) EXPECT_NE(a, "kprobe/tcp_connect");
}

TEST(ChooseAttachPlanTest, ChosenKindOfUnchosenNeedIsEmpty) {
  AttachPlan empty;
  EXPECT_FALSE(empty.chosen_kind(Need::tcp_state).has_value());
  EXPECT_TRUE(empty.programs().empty());
  EXPECT_EQ(empty.missing_required(), nullptr);  // no spec: nothing to report
}

// TLS plaintext: optional, its own hook kind, five programs (four entries
// and the shared return), with the handshake's entry as a need of its own;
// --disable-hook tls_uprobe turns both off.
TEST(ChooseAttachPlanTest, TlsUprobesAreOptionalAndDisableable) {
  FakeProber prober;
  prober.kinds = kNoTrampolines;
  prober.kinds.insert(HookKind::tls_uprobe);
  AttachPlan plan = choose_attach_plan(prober, {});
  EXPECT_EQ(plan.chosen_kind(Need::tls_plaintext), HookKind::tls_uprobe);
  EXPECT_FALSE(need_spec(Need::tls_plaintext).required);
  for (auto name : {"pf_ssl_write_entry", "pf_ssl_read_entry", "pf_ssl_write_ex_entry",
                    "pf_ssl_read_ex_entry", "pf_ssl_return"})
    EXPECT_TRUE(plan.programs().count(name)) << name;
  // The handshake uprobe too: the send/recv tracepoints tell it the socket.
  EXPECT_EQ(plan.chosen_kind(Need::tls_handshake), HookKind::tls_uprobe);
  EXPECT_FALSE(need_spec(Need::tls_handshake).required);
  EXPECT_TRUE(plan.programs().count("pf_ssl_handshake_entry"));
  EXPECT_NE(plan.summary().find(",tls_plaintext=tls_uprobe,tls_handshake=tls_uprobe"),
            std::string::npos);

  AttachPlan off = choose_attach_plan(prober, {HookKind::tls_uprobe});
  EXPECT_EQ(off.choice(Need::tls_plaintext).chosen, nullptr);
  ASSERT_EQ(off.choice(Need::tls_plaintext).disabled.size(), 1u);
  EXPECT_EQ(off.choice(Need::tls_handshake).chosen, nullptr);
  ASSERT_EQ(off.choice(Need::tls_handshake).disabled.size(), 1u);
  EXPECT_EQ(off.missing_required(), nullptr);
  EXPECT_FALSE(off.programs().count("pf_ssl_return"));
  EXPECT_FALSE(off.programs().count("pf_ssl_handshake_entry"));
}

// The handshake uprobe (SSL_do_handshake) only names the socket of an SSL
// object: without the plaintext uprobes or the send/recv tracepoints that
// tell it the socket, it is left out.
TEST(ChooseAttachPlanTest, TlsProbesNeedTheSendRecvTracepoints) {
  FakeProber prober;
  prober.kinds = kNoTrampolines;
  prober.kinds.insert(HookKind::tls_uprobe);
  // Before 6.3: no sock_{send,recv}_length, no call's socket to learn: the
  // uprobes work (probed) but are left out, plaintext and handshake alike.
  AttachPlan old = choose_attach_plan(prober, {HookKind::sock_length_tracepoint});
  EXPECT_EQ(old.choice(Need::tls_plaintext).chosen, nullptr);
  ASSERT_FALSE(old.choice(Need::tls_plaintext).probed.empty());
  EXPECT_TRUE(old.choice(Need::tls_plaintext).probed.back().second);
  EXPECT_EQ(old.choice(Need::tls_handshake).chosen, nullptr);
  EXPECT_FALSE(old.programs().count("pf_ssl_handshake_entry"));
  EXPECT_FALSE(old.programs().count("pf_ssl_return"));

  // The plaintext probes fail (say a symbol is missing): the handshake goes too.
  prober.kinds.erase(HookKind::tls_uprobe);
  prober.attach_points.insert("uprobe+uretprobe libssl.so.3 SSL_do_handshake");
  AttachPlan alone = choose_attach_plan(prober, {});
  EXPECT_EQ(alone.choice(Need::tls_plaintext).chosen, nullptr);
  EXPECT_EQ(alone.choice(Need::tls_handshake).chosen, nullptr);
  EXPECT_FALSE(alone.programs().count("pf_ssl_return"));

  // The handshake probe fails: the plaintext stays.
  prober.kinds.insert(HookKind::tls_uprobe);
  prober.attach_points.clear();
  prober.failing.insert("uprobe+uretprobe libssl.so.3 SSL_do_handshake");
  AttachPlan partial = choose_attach_plan(prober, {});
  EXPECT_EQ(partial.chosen_kind(Need::tls_plaintext), HookKind::tls_uprobe);
  EXPECT_EQ(partial.choice(Need::tls_handshake).chosen, nullptr);
  EXPECT_FALSE(partial.programs().count("pf_ssl_handshake_entry"));
}

}  // namespace
}  // namespace procflow
