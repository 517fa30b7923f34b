// The events of schema_test_events.h.
#include "schema_test_events.h"

namespace procflow::test {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

void with_process(FlowEvent& e) {
  e.pid = 4242;
  e.ppid = 1;
  e.uid = 1000;
  e.user = "alice";
  e.exe = "curl";
  e.image_path = "/usr/bin/curl";
  e.comm = "curl";
  e.cgroup_id = 7788;
}

void with_host(FlowEvent& e) {
  e.hostname = "ws1";
  e.fqdn = "ws1.example.com";
  e.netns = 4026531840;
}

}  // namespace

FlowEvent outbound_tcp_end() {
  FlowEvent e;
  e.action = FlowAction::end;
  e.timestamp_us = schema_test_end_us;
  e.start_time_us = schema_test_start_us;
  e.end_time_us = schema_test_end_us;
  e.src_ip = ip("10.0.0.54");
  e.src_port = 50438;
  e.dest_ip = ip("93.184.216.34");
  e.dest_port = 443;
  e.transport = ip_proto_tcp;
  e.src_fqdn = "ws1.example.com";
  e.src_hostname = "ws1";
  e.src_fqdn_source = NameSource::local;
  e.dest_fqdn = "www.example.com";
  e.dest_hostname = "www";
  e.dest_fqdn_source = NameSource::dns;
  e.dest_canonical = "edge.example.net";
  with_process(e);
  with_host(e);
  e.out_bytes = 1200;
  e.in_bytes = 48000;
  e.packet_count = 60;
  e.tcp_flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::psh | tcp_flag::fin;
  e.network_direction = NetworkDirection::out;
  e.community_id = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
  e.initiated = true;
  e.end_reason = EndReason::close;
  return e;
}

FlowEvent inbound_tcp_end() {
  FlowEvent e = outbound_tcp_end();
  e.src_ip = ip("198.51.100.7");
  e.src_port = 61000;
  e.dest_ip = ip("10.0.0.54");
  e.dest_port = 8443;
  e.src_fqdn = e.src_hostname = e.dest_canonical = "";
  e.src_fqdn_source = NameSource::none;
  e.dest_fqdn = "ws1.example.com";
  e.dest_hostname = "ws1";
  e.dest_fqdn_source = NameSource::local;
  e.exe = "nginx";
  e.image_path = "/usr/sbin/nginx";
  e.comm = "nginx";
  e.user = "www-data";
  e.uid = 33;
  e.out_bytes = 48000;
  e.in_bytes = 1200;
  e.network_direction = NetworkDirection::in;
  e.initiated = false;
  return e;
}

FlowEvent pod_container_tcp_end() {
  FlowEvent e = outbound_tcp_end();
  e.container_id = "2f0d4d3c8b1e4a6f9c7d5e3b1a0f8e6d4c2b0a9f8e7d6c5b4a3928170615f4e3";
  e.container_runtime = "containerd";
  e.container_name = "web";
  e.container_pid = 7;
  e.pod_uid = "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b";
  e.pod_name = "web-7d9f";
  e.pod_namespace = "shop";
  return e;
}

std::vector<NamedEvent> schema_test_events() {
  std::vector<NamedEvent> events;
  auto add = [&](std::string name, const FlowEvent& e) { events.push_back({std::move(name), e}); };

  add("tcp4_outbound_end_close", outbound_tcp_end());
  add("tcp4_inbound_end_close", inbound_tcp_end());

  FlowEvent start = outbound_tcp_end();
  start.action = FlowAction::start;
  start.timestamp_us = schema_test_start_us;
  start.end_time_us.reset();
  start.in_bytes.reset();
  start.out_bytes.reset();
  start.packet_count.reset();
  start.tcp_flags = 0;
  start.end_reason = EndReason::none;
  add("tcp4_outbound_start", start);

  FlowEvent snapshot = inbound_tcp_end();
  snapshot.action = FlowAction::start;
  snapshot.snapshot = true;
  snapshot.end_time_us.reset();
  snapshot.end_reason = EndReason::none;
  add("tcp4_inbound_snapshot_start", snapshot);

  FlowEvent reset6 = inbound_tcp_end();
  reset6.src_ip = ip("2001:db8::7");
  reset6.dest_ip = ip("2001:db8::54");
  reset6.network_direction = NetworkDirection::external;
  reset6.tcp_flags |= tcp_flag::rst;
  reset6.end_reason = EndReason::reset;
  reset6.community_id = "1:6rUt5W+8Cn0gwnbQW2BJPm9kUSI=";
  add("tcp6_inbound_end_reset", reset6);

  FlowEvent timeout = outbound_tcp_end();
  timeout.end_reason = EndReason::timeout;
  timeout.in_bytes = 0;
  timeout.out_bytes = 0;
  timeout.packet_count = 3;
  timeout.tcp_flags = tcp_flag::syn;
  add("tcp4_outbound_end_timeout", timeout);

  FlowEvent stop = outbound_tcp_end();
  stop.end_reason = EndReason::tracer_stop;
  add("tcp4_end_tracer_stop", stop);

  // report_interval: a period of an open flow ends, and the next one starts.
  FlowEvent period_end = outbound_tcp_end();
  period_end.end_reason = EndReason::interval;
  add("tcp4_end_interval", period_end);
  FlowEvent period_start = outbound_tcp_end();
  period_start.action = FlowAction::start;
  period_start.end_time_us.reset();
  period_start.end_reason = EndReason::none;
  period_start.in_bytes.reset();
  period_start.out_bytes.reset();
  period_start.packet_count.reset();
  period_start.tcp_flags = 0;
  period_start.continued = true;
  add("tcp4_start_continued", period_start);

  FlowEvent lost = outbound_tcp_end();
  lost.end_reason = EndReason::lost;
  lost.in_bytes.reset();
  lost.out_bytes.reset();
  lost.packet_count.reset();
  add("tcp4_end_lost", lost);

  FlowEvent message = outbound_tcp_end();
  message.action = FlowAction::message;
  message.end_time_us.reset();
  message.end_reason = EndReason::none;
  message.application_protocol = "HTTP";
  message.proto_info = "method=GET; target=/index.html; version=HTTP/1.1; host=www.example.com";
  message.content = "GET /index.html HTTP/1.1\\r\\nHost: www.example.com\\r\\n\\r\\n";
  message.message_direction = MessageDirection::out;
  message.content_source = ContentSource::wire;
  message.content_truncated = true;
  message.dest_fqdn_source = NameSource::http_host;
  add("tcp4_message", message);
  FlowEvent plaintext = message;
  plaintext.message_direction = MessageDirection::in;
  plaintext.content_source = ContentSource::tls_plaintext;
  plaintext.content_truncated = false;
  plaintext.application_protocol = "TLS";
  plaintext.dest_fqdn_source = NameSource::tls_sni;
  add("tcp4_message_tls_plaintext", plaintext);

  // A UDP client on the wildcard address: the local side has a port but no address.
  FlowEvent udp = outbound_tcp_end();
  udp.transport = ip_proto_udp;
  udp.src_ip = IpAddress{};
  udp.src_port = 40000;
  udp.dest_ip = ip("10.0.0.2");
  udp.dest_port = 53;
  udp.src_fqdn = udp.src_hostname = udp.dest_fqdn = udp.dest_hostname = udp.dest_canonical = "";
  udp.src_fqdn_source = udp.dest_fqdn_source = NameSource::none;
  udp.community_id = "";
  udp.network_direction = NetworkDirection::unknown;
  udp.tcp_flags = 0;
  udp.out_bytes = 40;
  udp.in_bytes = 120;
  udp.packet_count = 2;
  udp.end_reason = EndReason::timeout;
  add("udp4_wildcard_end_timeout", udp);

  FlowEvent udp_start = udp;
  udp_start.action = FlowAction::start;
  udp_start.end_time_us.reset();
  udp_start.in_bytes.reset();
  udp_start.out_bytes.reset();
  udp_start.packet_count.reset();
  udp_start.end_reason = EndReason::none;
  add("udp4_wildcard_start", udp_start);

  // A UDP server on the wildcard address and no host name: neither endpoint name nor sensor name
  // can stand in for its address.
  FlowEvent udp_server = udp;
  udp_server.src_ip = ip("10.0.0.9");
  udp_server.src_port = 5000;
  udp_server.dest_ip = IpAddress{};
  udp_server.dest_port = 53;
  udp_server.initiated = false;
  udp_server.hostname = udp_server.fqdn = "";
  add("udp4_inbound_wildcard_no_host_name", udp_server);

  FlowEvent udp6 = outbound_tcp_end();
  udp6.transport = ip_proto_udp;
  udp6.src_ip = ip("fd00::1");
  udp6.dest_ip = ip("fd00::53");
  udp6.dest_port = 53;
  udp6.tcp_flags = 0;
  udp6.network_direction = NetworkDirection::internal;
  udp6.end_reason = EndReason::close;
  add("udp6_outbound_end_close", udp6);

  // A process in a Kubernetes pod's container (containerd, systemd driver).
  add("tcp4_pod_container_end_close", pod_container_tcp_end());

  // A podman container outside Kubernetes: no pod, and a process still in
  // the host's pid namespace (no container_pid).
  FlowEvent podman = outbound_tcp_end();
  podman.container_id = pod_container_tcp_end().container_id;
  podman.container_runtime = "podman";
  add("tcp4_podman_container_end_close", podman);

  // A static pod: its uid is a hash, not a UUID; the container name unknown.
  FlowEvent static_pod = pod_container_tcp_end();
  static_pod.pod_uid = "0123456789abcdef0123456789abcdef";
  static_pod.container_name = "";
  static_pod.container_runtime = "";
  add("tcp4_static_pod_end_close", static_pod);

  // Only the pid namespace is known (unshare --pid, no container cgroup).
  FlowEvent pid_ns = outbound_tcp_end();
  pid_ns.container_pid = 1;
  add("tcp4_pid_namespace_only", pid_ns);

  // Both sockets on this host.
  FlowEvent loopback = outbound_tcp_end();
  loopback.src_ip = ip("127.0.0.1");
  loopback.dest_ip = ip("127.0.0.1");
  loopback.src_fqdn = loopback.dest_fqdn = "localhost";
  loopback.src_hostname = loopback.dest_hostname = "localhost";
  loopback.src_fqdn_source = loopback.dest_fqdn_source = NameSource::hosts;
  loopback.dest_fqdn_conflict = "bank.example (dns)";
  loopback.dest_canonical = "";
  loopback.network_direction = NetworkDirection::internal;
  add("tcp4_loopback_end", loopback);

  // No owner known (an inbound connection to a listener older than procflow), no names.
  FlowEvent bare = inbound_tcp_end();
  bare.pid.reset();
  bare.ppid.reset();
  bare.uid.reset();
  bare.cgroup_id.reset();
  bare.user = bare.exe = bare.image_path = bare.comm = "";
  bare.dest_fqdn = bare.dest_hostname = "";
  bare.dest_fqdn_source = NameSource::none;
  add("tcp4_inbound_no_process_no_names", bare);

  // A process whose user has no name and whose image is a memfd; comm is not valid UTF-8.
  FlowEvent odd = outbound_tcp_end();
  odd.user = "";
  odd.exe = "memfd:payload";
  odd.image_path = "/memfd:payload";
  odd.image_memfd = odd.image_deleted = true;
  odd.comm = "bad\xff\xfe";
  add("tcp4_memfd_no_user_name", odd);

  // A process known only by comm (no image path).
  FlowEvent comm_only = outbound_tcp_end();
  comm_only.exe = comm_only.image_path = "";
  comm_only.image_truncated = false;
  comm_only.user = "";
  comm_only.uid.reset();
  add("tcp4_comm_only", comm_only);

  // A replayed capture: no process, no sensor host, no netns, no `initiated`.
  FlowEvent replay = outbound_tcp_end();
  replay.pid.reset();
  replay.ppid.reset();
  replay.uid.reset();
  replay.cgroup_id.reset();
  replay.netns.reset();
  replay.user = replay.exe = replay.image_path = replay.comm = "";
  replay.hostname = replay.fqdn = "";
  replay.initiated.reset();
  replay.src_fqdn = replay.src_hostname = "";
  replay.src_fqdn_source = NameSource::none;
  add("replay_tcp4_end_close", replay);

  FlowEvent replay_open = replay;
  replay_open.end_reason = EndReason::none;
  add("replay_tcp4_end_capture_over", replay_open);

  return events;
}

}  // namespace procflow::test
