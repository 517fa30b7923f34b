#include "cli/trace_options.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/filter_options.h"
#include "cli/hook_list.h"
#include "cli/host_proc_option.h"
#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"
#include "flow/event_filter.h"
#include "metrics/metrics_server.h"

namespace procflow {

void add_trace_options(CLI::App* cmd, TraceArgs* args) {
  namespace ranges = option_ranges;
  cmd->add_option("--duration", args->duration, "stop after SEC seconds")
      ->type_name("SEC")
      ->transform(in_range(ranges::kTraceDuration));
  cmd->add_option("--pid", args->pids, "only flows of these pids")
      ->type_name("PID")
      ->transform(in_range(ranges::kPid))
      ->delimiter(',');
  cmd->add_option("--exe", args->exes, "only flows of these executables (basename)")
      ->check(non_empty("executable names"))
      ->delimiter(',');
  add_filter_options(cmd, &args->ports, &args->hosts, &args->actions);
  cmd->add_option("--interfaces", args->interfaces,
                  "interfaces for packet counters (default: every interface that is up)")
      ->check(non_empty("interface names"))
      ->delimiter(',');
  cmd->add_option("--disable-hook", args->disable_hooks,
                  "never use these hooks, e.g. fentry,kprobe (forces the fallbacks)")
      ->check(non_empty("hook kinds, e.g. fentry,kprobe"));
  cmd->add_option("--udp-idle-timeout", args->udp_idle_timeout,
                  "end a UDP flow after SEC seconds without a datagram (default 60)")
      ->type_name("SEC")
      ->transform(in_range(ranges::kUdpIdleTimeout));
  // The default is the command's (`top` wants live rates): the help says which.
  const std::string report_default =
      args->report_interval > 0 ? fmt::format("{:g}", args->report_interval) : "off";
  cmd->add_option("--report-interval", args->report_interval,
                  "report every open flow each SEC seconds: an end (end_reason interval) with "
                  "the period's counters, then the next period's start (default: " +
                      report_default + ")")
      ->type_name("SEC")
      ->transform(in_range(ranges::kReportInterval));
  cmd->add_option("--dns-answer-window", args->dns_answer_window,
                  "a DNS answer names addresses only if it comes within SEC seconds of the "
                  "query it answers (default 10)")
      ->type_name("SEC")
      ->transform(in_range(ranges::kDnsAnswerWindow));
  cmd->add_option("--metrics-address", args->metrics_address,
                  "serve Prometheus metrics, /healthz and /readyz on HOST:PORT (default: off)")
      ->type_name("HOST:PORT")
      ->check(non_empty("HOST:PORT, e.g. 127.0.0.1:9469"));
  cmd->add_flag("--reverse-dns", args->reverse_dns,
                "name addresses no DNS answer, /etc/hosts or local address names with PTR "
                "look-ups (asynchronous, cached, rate-limited; off by default)");
  cmd->add_option("--reverse-dns-server", args->reverse_dns_server,
                  "IP of the server for PTR look-ups (default: /etc/resolv.conf)")
      ->check(non_empty("an IP address"));
  cmd->add_option("--ring-buffer-kib", args->ring_buffer_kib,
                  "size of the kernel's ring buffer in KiB, rounded up to a power of two "
                  "(default 8192)")
      ->type_name("KIB")
      ->transform(in_range(ranges::kRingBufferKib));
  cmd->add_option("--max-flows", args->max_flows,
                  "TCP connections the kernel follows at once; beyond it new ones are counted "
                  "as lost (flow_map_full) (default 65536)")
      ->type_name("N")
      ->transform(in_range(ranges::kMaxFlows));
  cmd->add_option("--max-udp-flows", args->max_udp_flows,
                  "UDP flows (socket, peer) the kernel counts at once (default 65536)")
      ->type_name("N")
      ->transform(in_range(ranges::kMaxFlows));
  cmd->add_option("--reverse-dns-rate", args->reverse_dns_rate,
                  "at most this many PTR queries per second (default 20)")
      ->type_name("RATE")
      ->transform(in_range(ranges::kReverseDnsRate));
  add_internal_networks_option(cmd, &args->internal_networks);
  add_host_proc_option(cmd, &args->host_proc);
  cmd->add_option("--pod-log-dir", args->pod_log_dir,
                  "the kubelet's pod log directory, for pod and container names (default "
                  "/var/log/pods; a missing one names nothing)")
      ->type_name("DIR")
      ->check(non_empty("a directory"));
  add_content_options(cmd, &args->content);
  cmd->add_flag("--no-tls-plaintext", args->no_tls_plaintext,
                "no OpenSSL uprobes: HTTPS messages show the TLS handshake, not the request");
}

bool build_trace_config(const TraceArgs& args, ServiceConfig* config) {
  EventFilter filter;
  filter.pids.insert(args.pids.begin(), args.pids.end());
  filter.exes.insert(args.exes.begin(), args.exes.end());
  filter.ports.insert(args.ports.begin(), args.ports.end());
  if (!parse_filter_options(args.hosts, args.actions, &filter)) return false;
  std::string error;
  if (!args.internal_networks.empty() &&
      !NetworkClassifier::parse(args.internal_networks, &error)) {
    spdlog::error("--internal-networks: {}", error);
    return false;
  }
  // Checked here, not when the resolver is set up: after the kernel programs are loaded, and
  // with exit status 1 instead of 2.
  if (!args.reverse_dns_server.empty() && !IpAddress::parse(args.reverse_dns_server)) {
    spdlog::error("--reverse-dns-server: '{}' is not an IP address", args.reverse_dns_server);
    return false;
  }
  if (!args.metrics_address.empty() && !parse_metrics_address(args.metrics_address, &error)) {
    spdlog::error("--metrics-address: {}", error);
    return false;
  }
  config->filter = std::move(filter);
  config->metrics_address = args.metrics_address;
  config->interfaces = args.interfaces;
  config->internal_networks = args.internal_networks;
  config->udp_idle_timeout_s = args.udp_idle_timeout;
  config->report_interval_s = args.report_interval;
  config->dns_answer_window_s = args.dns_answer_window;
  config->ring_buffer_kib = args.ring_buffer_kib;
  config->max_flows = args.max_flows;
  config->max_udp_flows = args.max_udp_flows;
  config->reverse_dns = args.reverse_dns;
  config->reverse_dns_server = args.reverse_dns_server;
  config->reverse_dns_rate = args.reverse_dns_rate;
  config->host_proc = args.host_proc;
  config->pod_log_dir = args.pod_log_dir;
  apply_content_args(args.content, &config->content);
  config->content.tls_plaintext = !args.no_tls_plaintext;
  if (!parse_hook_list(args.disable_hooks, &config->disabled_hooks, &error)) {
    spdlog::error("--disable-hook: {}", error);
    return false;
  }
  return true;
}

}  // namespace procflow
