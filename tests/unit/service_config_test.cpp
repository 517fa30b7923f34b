// Tests the service config reader: the shipped default config reads; every
// setting lands where it belongs; and every kind of mistake (unknown key,
// wrong type, out of range, bad name, broken YAML) is refused with the file,
// the line and what was expected.
#include "config/service_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <algorithm>

#include "ip_literal.h"

namespace procflow {
namespace {

using test::ip;

std::vector<std::string> errors_of(const std::string& yaml) {
  ServiceConfig config;
  std::vector<std::string> errors;
  EXPECT_FALSE(parse_service_config(yaml, "test.yaml", &config, &errors)) << yaml;
  return errors;
}

TEST(ServiceConfigTest, TheShippedDefaultConfigReads) {
  ServiceConfig config;
  std::vector<std::string> errors;
  ASSERT_TRUE(load_service_config(std::string(PROCFLOW_SOURCE_DIR) + "/deploy/procflow.yaml",
                                  &config, &errors))
      << testing::PrintToString(errors);
  ASSERT_EQ(config.outputs.size(), 1u);
  EXPECT_EQ(config.outputs[0].uri, "file:/var/log/procflow/flows.json");
  EXPECT_EQ(config.outputs[0].format.schema, Schema::car);
  EXPECT_EQ(config.outputs[0].format.layout, Layout::json);
  EXPECT_TRUE(config.filter.empty());
  EXPECT_TRUE(config.filter.exclude.empty());
  EXPECT_EQ(config.max_flows, 65536u);
  EXPECT_EQ(config.max_udp_flows, 65536u);
  EXPECT_EQ(config.report_interval_s, 60) << "the service reports long-lived flows every minute";
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.host_proc, "/proc");
  EXPECT_EQ(config.pod_log_dir, "/var/log/pods");
  EXPECT_EQ(config.content.bytes, 512u);
  EXPECT_EQ(config.content.messages, MessagesMode::first);
  EXPECT_TRUE(config.content.redact) << "credentials stay out by default";
  EXPECT_TRUE(config.content.tls_plaintext);
}

TEST(ServiceConfigTest, ContentSettingsLandAndAreCheckedAndNeedARestart) {
  ServiceConfig config;
  std::vector<std::string> errors;
  ASSERT_TRUE(parse_service_config(
      "content: {bytes: 2048, messages: all, max_turns: 8, turns_per_second: 100, "
      "redact: false, tls_plaintext: false}\n",
      "test.yaml", &config, &errors))
      << testing::PrintToString(errors);
  EXPECT_EQ(config.content.bytes, 2048u);
  EXPECT_EQ(config.content.messages, MessagesMode::all);
  EXPECT_EQ(config.content.max_turns, 8);
  EXPECT_EQ(config.content.kernel_turns(), 8);
  EXPECT_EQ(config.content.turns_per_second, 100u);
  EXPECT_FALSE(config.content.redact);
  EXPECT_FALSE(config.content.tls_plaintext);
  EXPECT_EQ(settings_needing_restart(ServiceConfig{}, config), std::vector<std::string>{"content"});

  ASSERT_TRUE(parse_service_config("content: {bytes: 0}\n", "test.yaml", &config, &errors));
  EXPECT_FALSE(config.content.enabled());

  EXPECT_EQ(errors_of("content: {messages: some}\n"),
            std::vector<std::string>{
                "test.yaml:1:21: content.messages: expected first or all, got 'some'"});
  EXPECT_EQ(errors_of("content: {bytes: 20000}\n"),
            std::vector<std::string>{"test.yaml:1:18: content.bytes: expected bytes (0: off) "
                                     "between 0 and 16384, got '20000'"});
  EXPECT_EQ(errors_of("content: {turns: 3}\n"),
            std::vector<std::string>{
                "test.yaml:1:11: content.turns: unknown key; expected one of: bytes, messages, "
                "max_turns, turns_per_second, redact, tls_plaintext"});
}

TEST(ServiceConfigTest, EverySettingLandsWhereItBelongs) {
  const std::string yaml = R"(
outputs:
  - uri: "-"
    format: text
  - uri: file:/tmp/ends.json
    queue_kib: 128
    filter:
      include: {action: [end]}
filter:
  include:
    exe: [curl, wget]
    uid: [1000]
    user: [alice]
    cidr: [10.0.0.0/8]
    port: [443]
    action: [start, end]
    direction: [out, external]
  exclude:
    pid: [1]
    port: [22]
enrichment:
  reverse_dns: true
  reverse_dns_server: 192.0.2.53
  reverse_dns_rate: 5
  dns_answer_window: 2.5
internal_networks: [10.0.0.0/8]
interfaces: [eth0, eth1]
disable_hooks: [fentry]
udp_idle_timeout: 30
report_interval: 300
ring_buffer_kib: 1024
max_flows: 200000
max_udp_flows: 300000
metrics: {address: "127.0.0.1:9469"}
log: {level: debug, target: syslog}
host_proc: /host/proc
kubernetes: {pod_log_dir: /host/var/log/pods}
)";
  ServiceConfig c;
  std::vector<std::string> errors;
  ASSERT_TRUE(parse_service_config(yaml, "test.yaml", &c, &errors))
      << testing::PrintToString(errors);
  ASSERT_EQ(c.outputs.size(), 2u);
  EXPECT_EQ(c.outputs[0].uri, "-");
  EXPECT_EQ(c.outputs[0].format.layout, Layout::text);
  EXPECT_EQ(c.outputs[1].queue_bytes, 128u * 1024);
  EXPECT_EQ(c.outputs[1].filter.actions, std::set<FlowAction>{FlowAction::end});
  EXPECT_EQ(c.filter.exes, (std::set<std::string>{"curl", "wget"}));
  EXPECT_EQ(c.filter.uids, std::set<uint32_t>{1000});
  EXPECT_EQ(c.filter.users, std::set<std::string>{"alice"});
  ASSERT_TRUE(c.filter.hosts);
  EXPECT_TRUE(c.filter.hosts->is_internal(ip("10.1.2.3")));
  EXPECT_FALSE(c.filter.hosts->is_internal(ip("192.168.1.1")));
  EXPECT_EQ(c.filter.ports, std::set<uint16_t>{443});
  EXPECT_EQ(c.filter.actions, (std::set<FlowAction>{FlowAction::start, FlowAction::end}));
  EXPECT_EQ(c.filter.directions,
            (std::set<NetworkDirection>{NetworkDirection::out, NetworkDirection::external}));
  EXPECT_EQ(c.filter.exclude.pids, std::set<uint32_t>{1});
  EXPECT_EQ(c.filter.exclude.ports, std::set<uint16_t>{22});
  EXPECT_TRUE(c.reverse_dns);
  EXPECT_EQ(c.reverse_dns_server, "192.0.2.53");
  EXPECT_EQ(c.reverse_dns_rate, 5);
  EXPECT_EQ(c.dns_answer_window_s, 2.5);
  EXPECT_EQ(c.internal_networks, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(c.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(c.disabled_hooks, std::set<HookKind>{HookKind::fentry});
  EXPECT_EQ(c.udp_idle_timeout_s, 30);
  EXPECT_EQ(c.report_interval_s, 300);
  EXPECT_EQ(c.ring_buffer_kib, 1024u);
  EXPECT_EQ(c.max_flows, 200000u);
  EXPECT_EQ(c.max_udp_flows, 300000u);
  EXPECT_EQ(c.metrics_address, "127.0.0.1:9469");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_target, "syslog");
  EXPECT_EQ(c.host_proc, "/host/proc");
  EXPECT_EQ(c.pod_log_dir, "/host/var/log/pods");
}

TEST(ServiceConfigTest, HostProcAndPodLogDirMustBeAbsolute) {
  const auto errors = errors_of("host_proc: host/proc\nkubernetes: {pod_log_dir: \"\", x: 1}\n");
  ASSERT_EQ(errors.size(), 3u) << testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("host_proc: expected an absolute directory, got 'host/proc'"),
            std::string::npos)
      << errors[0];
  const std::string all = testing::PrintToString(errors);
  EXPECT_NE(all.find("kubernetes.pod_log_dir"), std::string::npos) << all;
  EXPECT_NE(all.find("kubernetes.x"), std::string::npos) << all;
}

// What opening an output would refuse is refused when the config is read
// (--check-config, a reload), at the uri's line; nothing is opened.
TEST(ServiceConfigTest, AnOutputUriIsCheckedWhereItIsWritten) {
  EXPECT_EQ(errors_of("outputs:\n  - uri: \"sylog:\"\n"),
            std::vector<std::string>{
                "test.yaml:2:10: outputs[0].uri: unknown output 'sylog:': expected '-' (stdout), "
                "file:PATH, syslog:[SOCKET], syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT, "
                "clickhouse+http://HOST:PORT/?table=NAME"});
  EXPECT_EQ(errors_of("outputs:\n  - uri: syslog+udp://127.0.0.1:514?facility=foo\n"),
            std::vector<std::string>{"test.yaml:2:10: outputs[0].uri: facility=foo: expected "
                                     "kern, user, daemon, local0..local7, ... or 0-23"});
  EXPECT_EQ(errors_of("outputs:\n  - uri: clickhouse+http://127.0.0.1:8123/?tabel=flows\n"),
            std::vector<std::string>{
                "test.yaml:2:10: outputs[0].uri: unknown clickhouse option 'tabel' (table, "
                "database, user, password, max_rows, max_age_ms, max_buffer_bytes, "
                "max_backoff_ms)"});
  EXPECT_EQ(errors_of("outputs:\n  - uri: clickhouse+http://127.0.0.1:8123/\n"),
            std::vector<std::string>{"test.yaml:2:10: outputs[0].uri: "
                                     "clickhouse+http://127.0.0.1:8123/: needs ?table=NAME"});
  const auto bad_rows =
      errors_of("outputs:\n  - uri: clickhouse+http://127.0.0.1:8123/?table=f&max_rows=abc\n");
  ASSERT_EQ(bad_rows.size(), 1u);
  EXPECT_NE(bad_rows[0].find("test.yaml:2:10: outputs[0].uri: "), std::string::npos) << bad_rows[0];
  EXPECT_NE(bad_rows[0].find("max_rows"), std::string::npos) << bad_rows[0];
  EXPECT_EQ(errors_of("outputs:\n  - uri: \"file:\"\n"),
            std::vector<std::string>{"test.yaml:2:10: outputs[0].uri: file: needs a path, e.g. "
                                     "file:/var/log/procflow/flows.json"});
  // Good URIs of every kind pass, and nothing was opened to find out.
  ServiceConfig config;
  std::vector<std::string> errors;
  EXPECT_TRUE(
      parse_service_config("outputs:\n  - uri: syslog:/nonexistent/log\n  - uri: "
                           "syslog+tcp://[::1]:6514?facility=local3\n  - uri: "
                           "clickhouse+http://127.0.0.1:1/?table=flows&max_rows=5\n  - uri: "
                           "file:/nonexistent/dir/flows.json\n",
                           "test.yaml", &config, &errors))
      << testing::PrintToString(errors);
  EXPECT_EQ(config.outputs.size(), 4u);
  EXPECT_FALSE(std::filesystem::exists("/nonexistent"));
}

TEST(ServiceConfigTest, MistakesNameTheFileTheLineAndWhatIsExpected) {
  EXPECT_EQ(errors_of("outputs:\n  - uri: \"-\"\n    shema: car\n"),
            std::vector<std::string>{
                "test.yaml:3:5: outputs[0].shema: unknown key; expected one of: uri, schema, "
                "format, queue_kib, filter, rotate, fsync"});
  EXPECT_EQ(errors_of("max_flows: lots\n"),
            std::vector<std::string>{"test.yaml:1:12: max_flows: expected a number of flows "
                                     "between 1024 and 4194304, got 'lots'"});
  EXPECT_EQ(errors_of("ring_buffer_kib: 0x400\n"),
            std::vector<std::string>{"test.yaml:1:18: ring_buffer_kib: expected a size in KiB "
                                     "between 64 and 1048576, got '0x400'"});
  EXPECT_EQ(errors_of("udp_idle_timeout: .nan\n"),
            std::vector<std::string>{"test.yaml:1:19: udp_idle_timeout: expected seconds "
                                     "between 0.1 and 86400, got '.nan'"});
  EXPECT_EQ(
      errors_of("outputs:\n  - uri: \"-\"\n    schema: xml\n"),
      std::vector<std::string>{
          "test.yaml:3:13: outputs[0].schema: unknown schema 'xml': expected car, ocsf or ecs"});
  EXPECT_EQ(errors_of("outputs:\n  - format: json\n"),
            std::vector<std::string>{"test.yaml:2:5: outputs[0]: an output needs a uri, e.g. "
                                     "uri: file:/var/log/procflow/flows.json"});
  EXPECT_EQ(errors_of("filter:\n  include:\n    port: 443\n"),
            std::vector<std::string>{
                "test.yaml:3:11: filter.include.port: expected a list, e.g. [a, b]"});
  EXPECT_EQ(errors_of("filter:\n  include:\n    action: [stop]\n"),
            std::vector<std::string>{"test.yaml:3:14: filter.include.action[0]: expected start, "
                                     "message or end, got 'stop'"});
  EXPECT_EQ(errors_of("enrichment:\n  reverse_dns: yes please\n"),
            std::vector<std::string>{
                "test.yaml:2:16: enrichment.reverse_dns: expected true or false, got 'yes "
                "please'"});
  EXPECT_EQ(errors_of("enrichment:\n  reverse_dns_server: dns.example\n"),
            std::vector<std::string>{"test.yaml:2:23: enrichment.reverse_dns_server: "
                                     "'dns.example' is not an IP address"});
  EXPECT_EQ(errors_of("disable_hooks: [uprobe2]\n"),
            std::vector<std::string>{"test.yaml:1:17: disable_hooks[0]: unknown hook kind "
                                     "'uprobe2', e.g. fentry or kprobe"});
  EXPECT_EQ(errors_of("log: {level: loud}\n"),
            std::vector<std::string>{"test.yaml:1:14: log.level: expected trace, debug, info, "
                                     "warn, error or off, got 'loud'"});
  EXPECT_EQ(errors_of("metrics: {address: 9469}\n"),
            std::vector<std::string>{"test.yaml:1:20: metrics.address: expected HOST:PORT in "
                                     "'9469'"});
  EXPECT_EQ(errors_of("metrics: {port: 9469}\n"),
            std::vector<std::string>{
                "test.yaml:1:11: metrics.port: unknown key; expected one of: address"});
  EXPECT_EQ(errors_of("report_interval: 0.5\n"),
            std::vector<std::string>{"test.yaml:1:18: report_interval: expected seconds between "
                                     "1 and 604800, got '0.5'"});
  EXPECT_EQ(errors_of(""), std::vector<std::string>{"test.yaml:1:1: the config is empty; see "
                                                    "deploy/procflow.yaml for every setting"});
  EXPECT_EQ(errors_of("- just\n- a list\n"),
            std::vector<std::string>{"test.yaml:1:1: expected a map of keys"});
}

TEST(ServiceConfigTest, EveryProblemIsListedAtOnce) {
  auto errors = errors_of("colour: blue\nmax_flows: 1\nfilter:\n  include: {port: [0]}\n");
  ASSERT_EQ(errors.size(), 3u) << testing::PrintToString(errors);
  std::sort(errors.begin(), errors.end());  // by line: the order they are read in differs
  EXPECT_NE(errors[0].find("test.yaml:1:1: colour: unknown key"), std::string::npos);
  EXPECT_NE(errors[1].find("test.yaml:2:12: max_flows:"), std::string::npos);
  EXPECT_NE(errors[2].find("test.yaml:4:20: filter.include.port[0]: expected a port"),
            std::string::npos);
}

TEST(ServiceConfigTest, BrokenYamlSaysWhere) {
  const auto errors = errors_of("outputs:\n  - uri: [unclosed\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.yaml:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("not valid YAML"), std::string::npos) << errors[0];
}

TEST(ServiceConfigTest, AMissingFileIsNamed) {
  ServiceConfig c;
  std::vector<std::string> errors;
  EXPECT_FALSE(load_service_config("/nonexistent/procflow.yaml", &c, &errors));
  EXPECT_EQ(errors, std::vector<std::string>{
                        "cannot read /nonexistent/procflow.yaml: No such file or directory"});
}

TEST(ServiceConfigTest, WhatAReloadCannotChangeIsNamed) {
  ServiceConfig a, b;
  EXPECT_TRUE(settings_needing_restart(a, b).empty());
  b.filter.ports = {443};
  b.outputs.push_back(OutputRoute{});
  EXPECT_TRUE(settings_needing_restart(a, b).empty()) << "filters and outputs reload";
  b.max_flows = 1 << 20;
  b.interfaces = {"eth0"};
  EXPECT_EQ(settings_needing_restart(a, b), (std::vector<std::string>{"interfaces", "max_flows"}));
  b.host_proc = "/host/proc";
  b.pod_log_dir = "/host/pods";
  EXPECT_EQ(
      settings_needing_restart(a, b),
      (std::vector<std::string>{"interfaces", "max_flows", "host_proc", "kubernetes.pod_log_dir"}));
}

}  // namespace
}  // namespace procflow
