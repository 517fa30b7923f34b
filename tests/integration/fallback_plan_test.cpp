// The core scenario (an IPv4 client and a pre-forked worker, see
// core_exchange.h) under every attach plan that `--disable-hook` can force on
// this machine: each fallback must give the same exact flows, except the
// `listener` fallback, whose documented cost is that the pre-fork parent that
// called listen() owns the server's flow instead of the accepting worker. The
// plan procflow logs is checked need by need, and the TC attachment it makes
// (tcx links or clsact filters) is checked in the kernel while it runs and
// after it stops.
#include <map>
#include <sstream>
#include <thread>

#include "bpf_leftovers.h"
#include "core_exchange.h"

namespace procflow_it {
namespace {

using Plan = std::map<std::string, std::string>;  // need -> hook kind

// The plan on this machine (kernel 6.18, no kprobes, fentry/fexit do not
// load), as docs/attach-plan.md records it; each case below differs from it
// only where the disabled kinds force a fallback.
const Plan kDefaultPlan = {
    {"exec", "tp_btf"},
    {"fork", "tp_btf"},
    {"exit", "tp_btf"},
    {"tcp_state", "tp_btf"},
    {"connect", "state_transition"},
    {"accept", "syscall_tp"},
    {"socket_use", "sock_length"},
    {"packets", "tcx"},
    {"open_flow_counters", "raw_tp"},
};

struct PlanCase {
  std::string name;     // test name suffix
  std::string disable;  // --disable-hook value; empty: none
  Plan changed;         // needs whose kind differs from kDefaultPlan
  InboundOwner owner = InboundOwner::accepting_worker;
};

std::ostream& operator<<(std::ostream& out, const PlanCase& c) {
  return out << c.name << " (--disable-hook " << (c.disable.empty() ? "-" : c.disable) << ")";
}

const PlanCase kCases[] = {
    {"Default", "", {}},
    // Classic tracepoints for the state program and the process events.
    {"NoTpBtf",
     "tp_btf",
     {{"exec", "tracepoint"},
      {"fork", "tracepoint"},
      {"exit", "tracepoint"},
      {"tcp_state", "tracepoint"}}},
    // The accepted socket is attributed at the worker's first recv.
    {"NoSyscallTp", "syscall_tp", {{"accept", "sock_length"}}},
    // clsact qdisc + filters instead of tcx links.
    {"NoTcx", "tcx", {{"packets", "clsact"}}},
    // No shutdown snapshot; flows that close normally do not need it.
    {"NoRawTp", "raw_tp", {{"open_flow_counters", "none"}}},
    // Nothing sees the worker: the listen() caller owns the server's flow.
    {"ListenerFallback",
     "syscall_tp,sock_length",
     {{"accept", "listener"}, {"socket_use", "none"}},
     InboundOwner::listener_parent},
};

Plan expected_plan(const PlanCase& c) {
  Plan plan = kDefaultPlan;
  for (const auto& [need, kind] : c.changed) plan[need] = kind;
  return plan;
}

// "exec=tp_btf,fork=..." -> {exec: tp_btf, ...}
Plan parse_summary(const std::string& summary) {
  Plan plan;
  std::istringstream in(summary);
  for (std::string item; std::getline(in, item, ',');) {
    auto eq = item.find('=');
    if (eq != std::string::npos) plan[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return plan;
}

// The needs of `want` whose logged kind differs, e.g. "accept=listener (logged
// syscall_tp)"; empty when all match. Needs procflow has beyond these (the
// plan grows as procflow learns more protocols) are not this suite's concern.
std::string mismatches(const Plan& logged, const Plan& want) {
  std::string out;
  for (const auto& [need, kind] : want) {
    auto it = logged.find(need);
    std::string got = it == logged.end() ? "(missing)" : it->second;
    if (got != kind) out += (out.empty() ? "" : ", ") + need + "=" + kind + " (logged " + got + ")";
  }
  return out;
}

// The summary after `marker` in procflow's stderr, up to `terminator`.
std::optional<std::string> logged_summary(const std::string& log, const std::string& marker,
                                          char terminator) {
  auto at = log.find(marker);
  if (at == std::string::npos) return std::nullopt;
  at += marker.size();
  auto end = log.find_first_of(std::string(1, terminator) + "\n", at);
  return log.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  size_t n = 0;
  for (const auto& line : lines) n += line.rfind(prefix, 0) == 0;
  return n;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out.empty() ? "  (nothing)\n" : out;
}

class FallbackPlanTest : public CoreExchangeTest, public ::testing::WithParamInterface<PlanCase> {
 protected:
  bool clsact() const { return expected_plan(GetParam()).at("packets") == "clsact"; }

  // While procflow runs: its TC programs are attached the way the plan says,
  // and only that way.
  void expect_tc_attached() {
    auto lines = attachments_on(topo().host_if());
    SCOPED_TRACE("attached to " + topo().host_if() + ":\n" + joined(lines));
    const std::string kind = clsact() ? "tc " : "tcx ";
    const std::string other = clsact() ? "tcx " : "tc ";
    // `tc filter show dev IF ingress` for clsact; the kernel's tcx query otherwise.
    EXPECT_TRUE(has_attachment(lines, kind + "ingress", "pf_tc_ingress"));
    EXPECT_TRUE(has_attachment(lines, kind + "egress", "pf_tc_egress"));
    EXPECT_EQ(count_prefix(lines, other), 0u) << "attached the other way too";
  }

  // After a clean stop: no filter, no tcx link, and no clsact qdisc (procflow
  // created it, so it must remove it). Polls up to 5 s: release may lag the exit.
  void expect_tc_gone() {
    std::vector<std::string> lines;
    std::string qdiscs;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      lines = attachments_on(topo().host_if());
      qdiscs = run_command({"tc", "qdisc", "show", "dev", topo().host_if()}).out;
      if (lines.empty() && qdiscs.find("clsact") == std::string::npos) return;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(lines.empty()) << "left on " << topo().host_if() << " after the stop:\n"
                               << joined(lines);
    EXPECT_EQ(qdiscs.find("clsact"), std::string::npos)
        << "the clsact qdisc procflow created is still there:\n"
        << qdiscs;
  }
};

TEST_P(FallbackPlanTest, Ipv4ClientAndPreforkedWorkerFlows) {
  const PlanCase& c = GetParam();
  std::vector<std::string> args;
  if (!c.disable.empty()) args = {"--disable-hook", c.disable};
  ASSERT_NO_FATAL_FAILURE(start_procflow(args));

  // Both lines carry the plan's summary: "attach plan: S" and "tracing started (S; ...)".
  const std::string log = procflow().stderr_text();
  const Plan want = expected_plan(c);
  auto planned = logged_summary(log, "attach plan: ", '\n');
  auto started = logged_summary(log, "tracing started (", ';');
  ASSERT_TRUE(planned && started) << "no plan summary logged:\n" << log;
  EXPECT_EQ(mismatches(parse_summary(*planned), want), "") << "\"attach plan: " << *planned;
  EXPECT_EQ(mismatches(parse_summary(*started), want), "") << "\"tracing started (" << *started;

  expect_tc_attached();
  ASSERT_NO_FATAL_FAILURE(exchange_and_check(topo().host_ip4(), topo().ns_ip4(), c.owner));
  ASSERT_NO_FATAL_FAILURE(stop_procflow());
  expect_tc_gone();
}

INSTANTIATE_TEST_SUITE_P(Plans, FallbackPlanTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PlanCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace procflow_it
