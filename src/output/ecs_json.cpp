// The ECS writer (see ecs_json.h; mapping in docs/schemas.md). One call per emitted event:
// numbers, addresses and timestamps are formatted into stack buffers and the thread-local writer
// is reused, as in the CAR writer.
#include "output/ecs_json.h"

#include <string_view>

#include "output/flow_orientation.h"
#include "output/json_serializer.h"
#include "output/json_text.h"
#include "output/json_text_fields.h"

namespace procflow {
namespace {

using namespace json_fields;

struct EcsState {
  rapidjson::StringBuffer buffer;
  JsonTextWriter writer{buffer};
  std::string lowercase;  // scratch for protocol names
};

EcsState& state() {
  thread_local EcsState s;
  return s;
}

std::string_view lowercase(std::string_view v) {
  std::string& s = state().lowercase;
  s.assign(v);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ASCII: IANA keywords
  return s;
}

// event.type: what the event says about the connection. An end whose close was not observed
// (procflow stopped, a capture ended) is a report on a flow still open, not its end.
bool flow_ended(const FlowEvent& e) {
  return e.action == FlowAction::end && e.end_reason != EndReason::tracer_stop &&
         e.end_reason != EndReason::interval && e.end_reason != EndReason::none;
}

void write_event(JsonTextWriter& w, const FlowEvent& e) {
  key(w, "event");
  w.StartObject();
  key(w, "kind");
  w.String("event");
  key(w, "category");
  w.StartArray();
  w.String("network");
  w.EndArray();
  key(w, "type");
  w.StartArray();
  w.String("connection");
  if (e.action == FlowAction::start) {
    w.String(e.continued.value_or(false) ? "info" : "start");
  } else if (e.action == FlowAction::message) {
    w.String("protocol");
  } else {
    w.String(flow_ended(e) ? "end" : "info");
  }
  w.EndArray();
  string_field(w, "action", to_string(e.action));
  string_field(w, "reason", to_string(e.end_reason));
  if (e.start_time_us) time_field(w, "start", *e.start_time_us);
  if (e.end_time_us) time_field(w, "end", *e.end_time_us);
  if (e.start_time_us && e.end_time_us && *e.end_time_us >= *e.start_time_us) {
    key(w, "duration");  // nanoseconds
    w.Uint64((*e.end_time_us - *e.start_time_us) * 1000);
  }
  key(w, "module");
  w.String("procflow");
  key(w, "dataset");
  w.String("procflow.flow");
  w.EndObject();
}

template <size_t N>
void endpoint_field(JsonTextWriter& w, const char (&name)[N], const IpAddress& ip, uint16_t port,
                    bool ports, std::string_view fqdn, const std::optional<uint64_t>& sent) {
  const bool has_port = ports && port != 0;
  if (!ip.is_set() && !has_port && fqdn.empty() && !sent) return;
  key(w, name);
  w.StartObject();
  ip_field(w, "ip", ip);
  if (has_port) {
    key(w, "port");
    w.Uint(port);
  }
  string_field(w, "domain", fqdn);
  u64_field(w, "bytes", sent);
  w.EndObject();
}

// network.direction: host-based monitoring names it from the host's point of view (ingress,
// egress); a replayed capture has no host, so the CAR direction (relative to the internal
// networks) is used there.
std::string_view ecs_direction(const FlowEvent& e) {
  if (e.initiated) return *e.initiated ? "egress" : "ingress";
  switch (e.network_direction) {
    case NetworkDirection::in:
      return "inbound";
    case NetworkDirection::out:
      return "outbound";
    case NetworkDirection::internal:
      return "internal";
    case NetworkDirection::external:
      return "external";
    case NetworkDirection::unknown:
      break;
  }
  return "";
}

void write_network(JsonTextWriter& w, const FlowEvent& e, const SourceOrientedBytes& b) {
  key(w, "network");
  w.StartObject();
  string_field(w, "transport", lowercase(transport_name(e.transport)));
  const uint8_t family = e.src_ip.is_set() ? e.src_ip.family : e.dest_ip.family;
  if (family == 4 || family == 6) string_field(w, "type", family == 4 ? "ipv4" : "ipv6");
  key(w, "iana_number");  // a keyword in ECS
  write_decimal_string(w, e.transport);
  string_field(w, "protocol", lowercase(e.application_protocol));
  string_field(w, "direction", ecs_direction(e));
  string_field(w, "community_id", e.community_id);
  if (b.source_sent && b.destination_sent) {
    key(w, "bytes");
    w.Uint64(*b.source_sent + *b.destination_sent);
  }
  u64_field(w, "packets", e.packet_count);
  w.EndObject();
}

void write_process(JsonTextWriter& w, const FlowEvent& e) {
  if (!e.pid && e.exe.empty() && e.image_path.empty() && e.comm.empty()) return;
  key(w, "process");
  w.StartObject();
  u32_field(w, "pid", e.pid);
  // The image's file name; comm (15 bytes, settable by the process) only when there is no image.
  string_field(w, "name", e.exe.empty() ? std::string_view(e.comm) : std::string_view(e.exe));
  string_field(w, "executable", e.image_path);
  u32_field(w, "vpid", e.container_pid);  // the pid inside its own pid namespace
  if (e.ppid) {
    key(w, "parent");
    w.StartObject();
    u32_field(w, "pid", e.ppid);
    w.EndObject();
  }
  w.EndObject();
}

void write_user(JsonTextWriter& w, const FlowEvent& e) {
  if (!e.uid && e.user.empty()) return;
  key(w, "user");
  w.StartObject();
  if (e.uid) {
    key(w, "id");  // a keyword in ECS
    write_decimal_string(w, *e.uid);
  }
  string_field(w, "name", e.user);
  w.EndObject();
}

// host: the sensor. host.name is the FQDN, as ECS recommends; replay events have no host.
void write_host(JsonTextWriter& w, const FlowEvent& e) {
  const IpAddress* ip = local_address(e);
  if (e.fqdn.empty() && e.hostname.empty() && !ip) return;
  key(w, "host");
  w.StartObject();
  string_field(w, "hostname", e.hostname);
  string_field(w, "name", e.fqdn.empty() ? e.hostname : e.fqdn);
  if (ip) {
    key(w, "ip");
    w.StartArray();
    char buf[INET6_ADDRSTRLEN];
    const size_t len = format_ip_text(*ip, buf);
    w.String(buf, static_cast<rapidjson::SizeType>(len));
    w.EndArray();
  }
  w.EndObject();
}

// container and, for a pod's container, orchestrator (the pod is the resource).
void write_container(JsonTextWriter& w, const FlowEvent& e) {
  if (!e.container_id.empty()) {
    key(w, "container");
    w.StartObject();
    string_field(w, "id", e.container_id);
    string_field(w, "name", e.container_name);
    string_field(w, "runtime", e.container_runtime);
    w.EndObject();
  }
  if (e.pod_uid.empty()) return;
  key(w, "orchestrator");
  w.StartObject();
  key(w, "type");
  w.String("kubernetes");
  string_field(w, "namespace", e.pod_namespace);
  key(w, "resource");
  w.StartObject();
  key(w, "type");
  w.String("pod");
  string_field(w, "name", e.pod_name);
  string_field(w, "id", e.pod_uid);
  w.EndObject();
  w.EndObject();
}

// Every CAR field without an ECS field, under its CAR name.
void write_procflow(JsonTextWriter& w, const FlowEvent& e) {
  key(w, "procflow");
  w.StartObject();
  if (e.tcp_flags != 0) string_field(w, "tcp_flags", tcp_flags_text(e.tcp_flags));
  string_field(w, "src_hostname", e.src_hostname);
  string_field(w, "dest_hostname", e.dest_hostname);
  write_procflow_extras(w, e);
  w.EndObject();
}

}  // namespace

void append_ecs_json_line(const FlowEvent& e, std::string& out) {
  EcsState& st = state();
  st.buffer.Clear();
  JsonTextWriter& w = st.writer;
  w.Reset(st.buffer);
  const SourceOrientedBytes b = source_oriented_bytes(e);
  const bool ports = transport_has_ports(e.transport);

  w.StartObject();
  time_field(w, "@timestamp", e.timestamp_us);
  key(w, "ecs");
  w.StartObject();
  key(w, "version");
  w.String(ecs_schema_version);
  w.EndObject();
  write_event(w, e);
  // source is the initiator, destination the responder; bytes are what each of them sent.
  endpoint_field(w, "source", e.src_ip, e.src_port, ports, e.src_fqdn, b.source_sent);
  endpoint_field(w, "destination", e.dest_ip, e.dest_port, ports, e.dest_fqdn, b.destination_sent);
  write_network(w, e, b);
  write_process(w, e);
  write_user(w, e);
  write_host(w, e);
  write_container(w, e);
  write_procflow(w, e);
  w.EndObject();

  out.append(st.buffer.GetString(), st.buffer.GetSize());
  out.push_back('\n');
}

}  // namespace procflow
