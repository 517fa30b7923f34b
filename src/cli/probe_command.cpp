#include "cli/probe_command.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>

#include "bpf/hook_prober.h"
#include "bpf/kernel_facts.h"
#include "bpf/libbpf_log.h"
#include "bpf/tls_plan.h"
#include "cli/hook_list.h"
#include "cli/host_proc_option.h"
#include "cli/non_empty_option.h"

namespace procflow {
namespace {

struct ProbeArgs {
  bool json = false;
  std::string disable_hooks;
  // Where the TLS library is looked for: under HOST_PROC/1/root, the host's
  // root, when procflow runs in a container.
  std::string host_proc = "/proc";
};

// Whether each hook kind works, from the candidates that were tried.
std::map<HookKind, bool> hook_support(const AttachPlan& plan) {
  std::map<HookKind, bool> out;
  for (const auto& c : plan.choices)
    for (const auto& [candidate, ok] : c.probed) {
      auto kind = candidate->kind;
      if (kind == HookKind::state_transition || kind == HookKind::listener_owner) continue;
      out[kind] = out[kind] || ok;
    }
  return out;
}

// probe has no content settings: it shows what the default (capture on) gets.
TlsPlanLine tls_line(const AttachPlan& plan, const KernelHookProber& prober) {
  return describe_tls_plan(plan, prober, /*content_capture=*/true);
}

void print_text(const KernelFacts& f, const AttachPlan& plan, const KernelHookProber& prober) {
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  std::printf("kernel                  %s\n", f.release.c_str());
  std::printf("BTF                     %s\n", yes(f.btf));
  std::printf("ring buffer             %s\n", yes(f.ringbuf));
  std::printf("tracefs                 %s\n", f.tracefs.empty() ? "no" : f.tracefs.c_str());
  std::printf("cgroup v2               %s\n", f.cgroup_v2.empty() ? "no" : f.cgroup_v2.c_str());
  std::printf("sock_send_length        %s\n", yes(f.sock_length_tracepoints));
  std::printf("syscall tracepoints     %s\n", yes(f.syscall_tracepoints));
  std::printf("\nhooks (loaded and attached to find out):\n");
  for (const auto& [kind, ok] : hook_support(plan))
    std::printf("  %-20s  %s\n", std::string(hook_kind_name(kind)).c_str(), yes(ok));
  std::printf("\nattach plan:\n");
  for (const auto& c : plan.choices) {
    std::string chosen = c.chosen ? std::string(c.chosen->attach_point) : "NONE";
    std::string kind = c.chosen ? std::string(hook_kind_name(c.chosen->kind)) : "-";
    std::printf("  %-19s %-17s %s\n", std::string(c.spec->name).c_str(), kind.c_str(),
                chosen.c_str());
    for (const auto& [candidate, ok] : c.probed) {
      if (ok || candidate == c.chosen) continue;
      std::string why = prober.failure(candidate->attach_point);
      std::printf("      unavailable: %s%s%s\n", std::string(candidate->attach_point).c_str(),
                  why.empty() ? "" : ": ", why.c_str());
    }
    for (const auto* d : c.disabled)
      std::printf("      disabled: %s\n", std::string(d->attach_point).c_str());
    if (!c.chosen)
      std::printf("      lost: %s\n", std::string(c.spec->cost_if_none).c_str());
    else if (!c.chosen->cost.empty())
      std::printf("      cost: %s\n", std::string(c.chosen->cost).c_str());
    if (c.spec->need == Need::tls_plaintext)
      std::printf("      %s\n", tls_line(plan, prober).text.c_str());
  }
  if (const NeedSpec* missing = plan.missing_required())
    std::printf("\nprocflow cannot trace here: no hook for '%s'\n",
                std::string(missing->name).c_str());
}

void print_json(const KernelFacts& f, const AttachPlan& plan, const KernelHookProber& prober) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("kernel");
  w.String(f.release.c_str());
  w.Key("features");
  w.StartObject();
  w.Key("btf");
  w.Bool(f.btf);
  w.Key("ringbuf");
  w.Bool(f.ringbuf);
  w.Key("tracefs");
  w.Bool(!f.tracefs.empty());
  w.Key("cgroup_v2");
  w.Bool(!f.cgroup_v2.empty());
  w.Key("sock_send_length");
  w.Bool(f.sock_length_tracepoints);
  w.Key("syscall_tracepoints");
  w.Bool(f.syscall_tracepoints);
  for (const auto& [kind, ok] : hook_support(plan)) {
    w.Key(std::string(hook_kind_name(kind)).c_str());
    w.Bool(ok);
  }
  w.EndObject();
  w.Key("plan");
  w.StartArray();
  for (const auto& c : plan.choices) {
    w.StartObject();
    w.Key("need");
    w.String(std::string(c.spec->name).c_str());
    w.Key("required");
    w.Bool(c.spec->required);
    w.Key("hook");
    if (c.chosen)
      w.String(std::string(hook_kind_name(c.chosen->kind)).c_str());
    else
      w.Null();
    w.Key("attach_point");
    if (c.chosen)
      w.String(std::string(c.chosen->attach_point).c_str());
    else
      w.Null();
    w.Key("cost");
    w.String(std::string(c.chosen ? c.chosen->cost : c.spec->cost_if_none).c_str());
    w.Key("unavailable");
    w.StartArray();
    for (const auto& [candidate, ok] : c.probed) {
      if (ok) continue;
      w.StartObject();
      w.Key("attach_point");
      w.String(std::string(candidate->attach_point).c_str());
      w.Key("error");
      w.String(prober.failure(candidate->attach_point).c_str());
      w.EndObject();
    }
    w.EndArray();
    w.Key("disabled");
    w.StartArray();
    for (const auto* d : c.disabled) w.String(std::string(d->attach_point).c_str());
    w.EndArray();
    if (c.spec->need == Need::tls_plaintext) {
      const TlsPlanLine line = tls_line(plan, prober);
      w.Key("library");
      if (line.capturing)
        w.String(prober.tls_library().c_str());
      else
        w.Null();
      w.Key("detail");
      w.String(line.text.c_str());
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("summary");
  w.String(plan.summary().c_str());
  w.EndObject();
  std::printf("%s\n", buf.GetString());
}

int run_probe(const ProbeArgs& args) {
  // Usage errors first: they are the same whoever runs procflow, so they exit 2 with or
  // without privileges.
  std::set<HookKind> disabled;
  std::string error;
  if (!parse_hook_list(args.disable_hooks, &disabled, &error)) {
    spdlog::error("--disable-hook: {}", error);
    return 2;
  }
  install_libbpf_logging();
  if (auto why = missing_privileges(); !why.empty()) {
    spdlog::error("{}", why);
    return 1;
  }
  KernelFacts facts = detect_kernel_facts();
  KernelHookProber prober(facts.cgroup_v2, args.host_proc);
  AttachPlan plan;
  if (kernel_unsupported_reason(facts).empty())
    plan = choose_attach_plan(prober, disabled, /*probe_all=*/true);
  else
    plan = choose_attach_plan(
        prober,
        {HookKind::fentry, HookKind::fexit, HookKind::kprobe, HookKind::kretprobe, HookKind::tp_btf,
         HookKind::tracepoint, HookKind::syscall_tracepoint, HookKind::sock_length_tracepoint,
         HookKind::tcx, HookKind::clsact, HookKind::raw_tracepoint, HookKind::cgroup_sock_addr,
         HookKind::cgroup_sock, HookKind::tls_uprobe});
  if (args.json)
    print_json(facts, plan, prober);
  else
    print_text(facts, plan, prober);
  if (auto why = kernel_unsupported_reason(facts); !why.empty()) {
    spdlog::error("{}", why);
    return 1;
  }
  return plan.missing_required() ? 1 : 0;
}

}  // namespace

std::function<int()> add_probe_command(CLI::App& app) {
  auto args = std::make_shared<ProbeArgs>();
  CLI::App* cmd =
      app.add_subcommand("probe", "Show the kernel features found and the attach plan chosen");
  cmd->add_flag("--json", args->json, "machine-readable output");
  cmd->add_option("--disable-hook", args->disable_hooks,
                  "plan as if these hooks were missing, e.g. fentry,kprobe")
      ->check(non_empty("hook kinds, e.g. fentry,kprobe"));
  add_host_proc_option(cmd, &args->host_proc);
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_probe(*args);
  };
}

}  // namespace procflow
