#include "config/service_config.h"

#include "output/sink_uri.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/option_ranges.h"
#include "config/file_output_fields.h"
#include "config/yaml_fields.h"
#include "metrics/metrics_server.h"
#include "output/sink_uri.h"

namespace procflow {
namespace {

namespace ranges = option_ranges;

constexpr WholeRange kUid{0, 4'294'967'294u, "a uid"};

void read_criteria(YamlFields& y, const YAML::Node& node, const std::string& path,
                   FlowCriteria* c) {
  if (!y.map(node, path, {"pid", "exe", "uid", "user", "cidr", "port", "action", "direction"}))
    return;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string p = child_path(path, key);
    const YAML::Node& v = entry.second;
    if (key == "pid") {
      y.each(v, p, [&](const YAML::Node& i, const std::string& ip) {
        if (auto n = y.whole(i, ip, ranges::kPid)) c->pids.insert(static_cast<uint32_t>(*n));
      });
    } else if (key == "exe") {
      for (auto& e : y.texts(v, p)) c->exes.insert(e);
    } else if (key == "uid") {
      y.each(v, p, [&](const YAML::Node& i, const std::string& ip) {
        if (auto n = y.whole(i, ip, kUid)) c->uids.insert(static_cast<uint32_t>(*n));
      });
    } else if (key == "user") {
      for (auto& u : y.texts(v, p)) c->users.insert(u);
    } else if (key == "cidr") {
      const auto cidrs = y.texts(v, p);
      std::string error;
      if (auto hosts = NetworkClassifier::parse(cidrs, &error)) {
        c->hosts = std::move(*hosts);
        c->host_cidrs = cidrs;
      } else
        y.error(v, p, error);
    } else if (key == "port") {
      y.each(v, p, [&](const YAML::Node& i, const std::string& ip) {
        if (auto n = y.whole(i, ip, ranges::kPort)) c->ports.insert(static_cast<uint16_t>(*n));
      });
    } else if (key == "action") {
      y.each(v, p, [&](const YAML::Node& i, const std::string& ip) {
        auto t = y.text(i, ip);
        if (!t) return;
        if (auto a = parse_flow_action(*t))
          c->actions.insert(*a);
        else
          y.error(i, ip, "expected start, message or end, got '" + *t + "'");
      });
    } else if (key == "direction") {
      y.each(v, p, [&](const YAML::Node& i, const std::string& ip) {
        auto t = y.text(i, ip);
        if (!t) return;
        if (auto d = parse_network_direction(*t))
          c->directions.insert(*d);
        else
          y.error(i, ip, "expected in, out, internal or external, got '" + *t + "'");
      });
    }
  }
}

void read_filter(YamlFields& y, const YAML::Node& node, const std::string& path,
                 EventFilter* filter) {
  if (!y.map(node, path, {"include", "exclude"})) return;
  if (node["include"]) read_criteria(y, node["include"], child_path(path, "include"), filter);
  if (node["exclude"])
    read_criteria(y, node["exclude"], child_path(path, "exclude"), &filter->exclude);
}

void read_output(YamlFields& y, const YAML::Node& node, const std::string& path,
                 OutputRoute* route) {
  if (!y.map(node, path, {"uri", "schema", "format", "queue_kib", "filter", "rotate", "fsync"}))
    return;
  if (!node["uri"]) {
    y.error(node, path, "an output needs a uri, e.g. uri: file:/var/log/procflow/flows.json");
    return;
  }
  if (auto uri = y.text(node["uri"], child_path(path, "uri"))) route->uri = *uri;
  read_file_output(y, node, path, route);  // rotate, fsync, and the uri's own ?options
  // The scheme and every option, checked here so that --check-config (and a
  // reload) refuses what opening the output would refuse.
  // (A file uri still holding its ?options had them refused just above.)
  const bool file_options_refused =
      route->uri.starts_with("file:") && route->uri.find('?') != std::string::npos;
  if (const std::string problem = sink_uri_problem(route->uri, route->file);
      !problem.empty() && !file_options_refused)
    y.error(node["uri"], child_path(path, "uri"), problem);
  std::string schema, layout;
  if (node["schema"]) schema = y.text(node["schema"], child_path(path, "schema")).value_or("car");
  if (node["format"]) layout = y.text(node["format"], child_path(path, "format")).value_or("");
  std::string error;
  if (auto format = EventFormat::from_names(schema, layout, &error))
    route->format = *format;
  else
    y.error(node["schema"] ? node["schema"] : node, child_path(path, "schema"), error);
  if (node["queue_kib"]) {
    if (auto kib =
            y.whole(node["queue_kib"], child_path(path, "queue_kib"), ranges::kOutputBufferKib))
      route->queue_bytes = static_cast<size_t>(*kib) * 1024;
  }
  if (node["filter"]) read_filter(y, node["filter"], child_path(path, "filter"), &route->filter);
}

void read_enrichment(YamlFields& y, const YAML::Node& node, ServiceConfig* c) {
  const std::string path = "enrichment";
  if (!y.map(node, path,
             {"reverse_dns", "reverse_dns_server", "reverse_dns_rate", "dns_answer_window"}))
    return;
  if (node["reverse_dns"])
    c->reverse_dns = y.flag(node["reverse_dns"], "enrichment.reverse_dns").value_or(false);
  if (node["reverse_dns_server"]) {
    const YAML::Node& v = node["reverse_dns_server"];
    if (auto server = y.text(v, "enrichment.reverse_dns_server")) {
      if (!IpAddress::parse(*server))
        y.error(v, "enrichment.reverse_dns_server", "'" + *server + "' is not an IP address");
      else
        c->reverse_dns_server = *server;
    }
  }
  if (node["reverse_dns_rate"])
    c->reverse_dns_rate =
        y.real(node["reverse_dns_rate"], "enrichment.reverse_dns_rate", ranges::kReverseDnsRate)
            .value_or(c->reverse_dns_rate);
  if (node["dns_answer_window"])
    c->dns_answer_window_s =
        y.real(node["dns_answer_window"], "enrichment.dns_answer_window", ranges::kDnsAnswerWindow)
            .value_or(c->dns_answer_window_s);
}

void read_log(YamlFields& y, const YAML::Node& node, ServiceConfig* c) {
  if (!y.map(node, "log", {"level", "target"})) return;
  if (node["level"]) {
    auto level = y.text(node["level"], "log.level");
    if (level && (*level == "trace" || *level == "debug" || *level == "info" || *level == "warn" ||
                  *level == "error" || *level == "off"))
      c->log_level = *level;
    else if (level)
      y.error(node["level"], "log.level",
              "expected trace, debug, info, warn, error or off, got '" + *level + "'");
  }
  if (node["target"]) {
    auto target = y.text(node["target"], "log.target");
    if (target && (*target == "stderr" || *target == "syslog"))
      c->log_target = *target;
    else if (target)
      y.error(node["target"], "log.target", "expected stderr or syslog, got '" + *target + "'");
  }
}

void read_metrics(YamlFields& y, const YAML::Node& node, ServiceConfig* c) {
  if (!y.map(node, "metrics", {"address"})) return;
  if (!node["address"]) return;
  auto address = y.text(node["address"], "metrics.address");
  if (!address) return;
  std::string error;
  if (parse_metrics_address(*address, &error))
    c->metrics_address = *address;
  else
    y.error(node["address"], "metrics.address", error);
}

// An absolute directory: the tracer reads below it.
void read_directory(YamlFields& y, const YAML::Node& node, const std::string& path,
                    std::string* out) {
  auto dir = y.text(node, path);
  if (!dir) return;
  if (dir->empty() || dir->front() != '/')
    y.error(node, path, "expected an absolute directory, got '" + *dir + "'");
  else
    *out = *dir;
}

void read_kubernetes(YamlFields& y, const YAML::Node& node, ServiceConfig* c) {
  if (!y.map(node, "kubernetes", {"pod_log_dir"})) return;
  if (node["pod_log_dir"])
    read_directory(y, node["pod_log_dir"], "kubernetes.pod_log_dir", &c->pod_log_dir);
}

void read_content(YamlFields& y, const YAML::Node& node, ContentOptions* c) {
  if (!y.map(node, "content",
             {"bytes", "messages", "max_turns", "turns_per_second", "redact", "tls_plaintext"}))
    return;
  if (node["bytes"])  // 0: content capture off
    c->bytes = static_cast<uint32_t>(
        y.whole(node["bytes"], "content.bytes", ranges::kContentBytes).value_or(c->bytes));
  if (const YAML::Node& v = node["messages"]; v) {
    auto mode = y.text(v, "content.messages");
    if (mode && *mode == "first")
      c->messages = MessagesMode::first;
    else if (mode && *mode == "all")
      c->messages = MessagesMode::all;
    else if (mode)
      y.error(v, "content.messages", "expected first or all, got '" + *mode + "'");
  }
  if (node["max_turns"])
    c->max_turns = static_cast<uint16_t>(
        y.whole(node["max_turns"], "content.max_turns", ranges::kMaxTurns).value_or(c->max_turns));
  if (node["turns_per_second"])
    c->turns_per_second = static_cast<uint32_t>(
        y.whole(node["turns_per_second"], "content.turns_per_second", ranges::kTurnsPerSecond)
            .value_or(c->turns_per_second));
  if (node["redact"]) c->redact = y.flag(node["redact"], "content.redact").value_or(c->redact);
  if (node["tls_plaintext"])
    c->tls_plaintext =
        y.flag(node["tls_plaintext"], "content.tls_plaintext").value_or(c->tls_plaintext);
}

void read_top(YamlFields& y, const YAML::Node& root, ServiceConfig* c) {
  if (!y.map(root, "",
             {"outputs", "filter", "enrichment", "internal_networks", "interfaces", "disable_hooks",
              "udp_idle_timeout", "report_interval", "ring_buffer_kib", "max_flows",
              "max_udp_flows", "metrics", "log", "host_proc", "kubernetes", "content"}))
    return;
  if (root["outputs"]) {
    y.each(root["outputs"], "outputs", [&](const YAML::Node& item, const std::string& path) {
      OutputRoute route;
      read_output(y, item, path, &route);
      c->outputs.push_back(std::move(route));
    });
  }
  if (root["filter"]) read_filter(y, root["filter"], "filter", &c->filter);
  if (root["enrichment"]) read_enrichment(y, root["enrichment"], c);
  if (root["internal_networks"]) {
    const YAML::Node& v = root["internal_networks"];
    c->internal_networks = y.texts(v, "internal_networks");
    std::string error;
    if (!c->internal_networks.empty() && !NetworkClassifier::parse(c->internal_networks, &error))
      y.error(v, "internal_networks", error);
  }
  if (root["interfaces"]) c->interfaces = y.texts(root["interfaces"], "interfaces");
  if (root["disable_hooks"]) {
    y.each(root["disable_hooks"], "disable_hooks",
           [&](const YAML::Node& item, const std::string& path) {
             auto name = y.text(item, path);
             if (!name) return;
             if (auto kind = parse_hook_kind(*name))
               c->disabled_hooks.insert(*kind);
             else
               y.error(item, path, "unknown hook kind '" + *name + "', e.g. fentry or kprobe");
           });
  }
  if (root["udp_idle_timeout"])
    c->udp_idle_timeout_s =
        y.real(root["udp_idle_timeout"], "udp_idle_timeout", ranges::kUdpIdleTimeout)
            .value_or(c->udp_idle_timeout_s);
  if (const YAML::Node& v = root["report_interval"]; v) {
    // 0 turns it off; anything else is a period within the range.
    if (v.IsScalar() && v.Scalar() == "0")
      c->report_interval_s = 0;
    else
      c->report_interval_s = y.real(v, "report_interval", ranges::kReportInterval).value_or(0);
  }
  if (root["ring_buffer_kib"])
    c->ring_buffer_kib = static_cast<uint32_t>(
        y.whole(root["ring_buffer_kib"], "ring_buffer_kib", ranges::kRingBufferKib)
            .value_or(c->ring_buffer_kib));
  if (root["max_flows"])
    c->max_flows = static_cast<uint32_t>(
        y.whole(root["max_flows"], "max_flows", ranges::kMaxFlows).value_or(c->max_flows));
  if (root["max_udp_flows"])
    c->max_udp_flows =
        static_cast<uint32_t>(y.whole(root["max_udp_flows"], "max_udp_flows", ranges::kMaxFlows)
                                  .value_or(c->max_udp_flows));
  if (root["metrics"]) read_metrics(y, root["metrics"], c);
  if (root["log"]) read_log(y, root["log"], c);
  if (root["host_proc"]) read_directory(y, root["host_proc"], "host_proc", &c->host_proc);
  if (root["kubernetes"]) read_kubernetes(y, root["kubernetes"], c);
  if (root["content"]) read_content(y, root["content"], &c->content);
}

}  // namespace

bool parse_service_config(const std::string& yaml, const std::string& name, ServiceConfig* config,
                          std::vector<std::string>* errors) {
  errors->clear();
  YamlFields y(name, errors);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    y.error_at(e.mark.line, e.mark.column, "not valid YAML: " + e.msg);
    return false;
  }
  if (!root || root.IsNull()) {
    y.error_at(0, 0, "the config is empty; see deploy/procflow.yaml for every setting");
    return false;
  }
  ServiceConfig loaded;
  read_top(y, root, &loaded);
  if (!y.ok()) return false;
  *config = std::move(loaded);
  return true;
}

bool load_service_config(const std::string& path, ServiceConfig* config,
                         std::vector<std::string>* errors) {
  std::ifstream in(path);
  if (!in) {
    errors->assign({"cannot read " + path + ": " + std::strerror(errno)});
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_service_config(text.str(), path, config, errors);
}

std::vector<std::string> settings_needing_restart(const ServiceConfig& a, const ServiceConfig& b) {
  std::vector<std::string> out;
  auto note = [&](bool differs, const char* what) {
    if (differs) out.push_back(what);
  };
  note(a.interfaces != b.interfaces, "interfaces");
  note(a.internal_networks != b.internal_networks, "internal_networks");
  note(a.disabled_hooks != b.disabled_hooks, "disable_hooks");
  note(a.udp_idle_timeout_s != b.udp_idle_timeout_s, "udp_idle_timeout");
  note(a.report_interval_s != b.report_interval_s, "report_interval");
  note(a.ring_buffer_kib != b.ring_buffer_kib, "ring_buffer_kib");
  note(a.max_flows != b.max_flows, "max_flows");
  note(a.max_udp_flows != b.max_udp_flows, "max_udp_flows");
  note(a.metrics_address != b.metrics_address, "metrics.address");
  note(a.log_target != b.log_target, "log.target");
  note(a.host_proc != b.host_proc, "host_proc");
  note(a.pod_log_dir != b.pod_log_dir, "kubernetes.pod_log_dir");
  const ContentOptions &x = a.content, &y = b.content;
  note(x.bytes != y.bytes || x.messages != y.messages || x.max_turns != y.max_turns ||
           x.turns_per_second != y.turns_per_second || x.redact != y.redact ||
           x.tls_plaintext != y.tls_plaintext,
       "content");
  return out;
}

}  // namespace procflow
