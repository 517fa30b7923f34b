// The OCSF Network Activity writer (see ocsf_json.h; mapping in docs/schemas.md). One call per
// emitted event: numbers and addresses are formatted into stack buffers and the thread-local
// writer is reused, as in the CAR writer.
#include "output/ocsf_json.h"

#include <string_view>

#include "output/flow_orientation.h"
#include "output/json_text.h"
#include "output/json_text_fields.h"

namespace procflow {
namespace {

using namespace json_fields;

struct OcsfState {
  rapidjson::StringBuffer buffer;
  JsonTextWriter writer{buffer};
  std::string lowercase;  // scratch for protocol names
};

OcsfState& state() {
  thread_local OcsfState s;
  return s;
}

constexpr int class_uid = 4001;
constexpr int category_uid = 4;

// OCSF Network Activity activity_id values (network_activity.json).
enum Activity : int { open = 1, close = 2, reset = 3, fail = 4, traffic = 6, other = 99 };

struct ActivityMapping {
  int id;
  const char* name;
  const char* type_name;  // "<class caption>: <activity caption>"
  int status_id;          // 0: none written; 1 Success, 2 Failure
};

ActivityMapping activity(const FlowEvent& e) {
  // The next report_interval period of a connection already open: a traffic report.
  if (e.action == FlowAction::start && e.continued.value_or(false))
    return {traffic, "Traffic", "Network Activity: Traffic", 0};
  if (e.action == FlowAction::start) return {open, "Open", "Network Activity: Open", 0};
  if (e.action == FlowAction::message) return {traffic, "Traffic", "Network Activity: Traffic", 0};
  switch (e.end_reason) {
    case EndReason::close:
    case EndReason::lost:  // the socket is gone; how it closed was not seen
      return {close, "Close", "Network Activity: Close", 0};
    case EndReason::reset:
      return {reset, "Reset", "Network Activity: Reset", 0};
    case EndReason::timeout:
      // TCP: a socket error other than a reset (ETIMEDOUT, EHOSTUNREACH): the connection failed.
      // UDP: no datagram for the idle timeout, an ordinary end of a connectionless flow.
      if (e.transport == ip_proto_tcp) return {fail, "Fail", "Network Activity: Fail", 2};
      return {close, "Close", "Network Activity: Close", 0};
    case EndReason::tracer_stop:
    case EndReason::interval:  // a report_interval period of a flow still open
    case EndReason::none:
      // procflow stopped, or a replayed capture ended, with the flow still open: the last
      // traffic report of a flow whose close was not observed.
      return {traffic, "Traffic", "Network Activity: Traffic", 0};
  }
  return {other, "Other", "Network Activity: Other", 0};
}

uint64_t ms(uint64_t us) {
  return us / 1000;
}

std::string_view lowercase(std::string_view v) {
  std::string& s = state().lowercase;
  s.assign(v);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ASCII: IANA keywords
  return s;
}

// A network_endpoint needs at least one of ip, name, hostname, ... (its constraint): a port alone
// is not an endpoint. The local side of a UDP socket on the wildcard address has no address, but
// it is this host: its hostname is the sensor's.
struct Endpoint {
  const IpAddress& ip;
  uint16_t port;
  std::string_view hostname, name;

  bool writable() const { return ip.is_set() || !hostname.empty() || !name.empty(); }
};

Endpoint endpoint(const FlowEvent& e, bool source, bool is_local) {
  Endpoint p{source ? e.src_ip : e.dest_ip, source ? e.src_port : e.dest_port,
             source ? e.src_fqdn : e.dest_fqdn, source ? e.src_hostname : e.dest_hostname};
  if (!p.writable() && is_local) p.hostname = e.fqdn.empty() ? e.hostname : e.fqdn;
  return p;
}

template <size_t N>
void endpoint_field(JsonTextWriter& w, const char (&name)[N], const Endpoint& p, bool ports) {
  if (!p.writable()) return;
  key(w, name);
  w.StartObject();
  ip_field(w, "ip", p.ip);
  if (ports && p.port != 0) int_field(w, "port", p.port);
  string_field(w, "hostname", p.hostname);
  string_field(w, "name", p.name);
  w.EndObject();
}

// OCSF connection_info.direction_id: relative to the host procflow runs on.
void write_connection_info(JsonTextWriter& w, const FlowEvent& e) {
  int direction_id = 0;
  const char* direction = "Unknown";
  if (is_host_local(e)) {
    direction_id = 4, direction = "Local";
  } else if (e.initiated) {
    direction_id = *e.initiated ? 2 : 1;
    direction = *e.initiated ? "Outbound" : "Inbound";
  }
  // boundary_id: Localhost, Internal (both ends in the internal networks), External.
  int boundary_id = 0;
  const char* boundary = nullptr;
  if (e.src_ip.is_set() && e.dest_ip.is_set() && is_loopback(e.src_ip) && is_loopback(e.dest_ip)) {
    boundary_id = 1, boundary = "Localhost";
  } else if (e.network_direction == NetworkDirection::internal) {
    boundary_id = 2, boundary = "Internal";
  } else if (e.network_direction != NetworkDirection::unknown) {
    boundary_id = 3, boundary = "External";
  }

  key(w, "connection_info");
  w.StartObject();
  int_field(w, "protocol_num", e.transport);
  string_field(w, "protocol_name", lowercase(transport_name(e.transport)));
  const uint8_t family = e.src_ip.is_set() ? e.src_ip.family : e.dest_ip.family;
  if (family == 4 || family == 6) int_field(w, "protocol_ver_id", family);
  int_field(w, "direction_id", direction_id);
  key(w, "direction");
  w.String(direction);
  if (boundary) {
    int_field(w, "boundary_id", boundary_id);
    key(w, "boundary");
    w.String(boundary);
  }
  if (e.tcp_flags != 0) int_field(w, "tcp_flags", e.tcp_flags);
  string_field(w, "community_uid", e.community_id);
  w.EndObject();
}

void write_traffic(JsonTextWriter& w, const FlowEvent& e) {
  const SourceOrientedBytes b = source_oriented_bytes(e);
  if (!b.source_sent && !b.destination_sent && !e.packet_count) return;
  key(w, "traffic");
  w.StartObject();
  u64_field(w, "bytes_out", b.source_sent);
  u64_field(w, "bytes_in", b.destination_sent);
  if (b.source_sent && b.destination_sent) {
    key(w, "bytes");
    w.Uint64(*b.source_sent + *b.destination_sent);
  }
  u64_field(w, "packets", e.packet_count);
  w.EndObject();
}

bool has_process(const FlowEvent& e) {
  return e.pid || !e.exe.empty() || !e.image_path.empty() || !e.comm.empty();
}

// Attributes of OCSF's container profile on actor.process: the container
// object, namespace_pid.
bool has_container_profile(const FlowEvent& e) {
  return has_process(e) && (!e.container_id.empty() || e.container_pid.has_value());
}

// OCSF's uuid_t is the dashed form; a static pod's uid (a hash) stays in unmapped only.
bool is_dashed_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); i++) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// actor.process.container: the owner's container (the pod's names go to unmapped).
void write_container(JsonTextWriter& w, const FlowEvent& e) {
  if (e.container_id.empty()) return;
  key(w, "container");
  w.StartObject();
  string_field(w, "uid", e.container_id);
  string_field(w, "name", e.container_name);
  string_field(w, "runtime", e.container_runtime);
  if (!e.pod_uid.empty()) {
    key(w, "orchestrator");
    w.String("Kubernetes");
    if (is_dashed_uuid(e.pod_uid)) string_field(w, "pod_uuid", e.pod_uid);
  }
  w.EndObject();
}

// actor.process: the owner of the local socket.
void write_actor(JsonTextWriter& w, const FlowEvent& e) {
  if (!has_process(e)) return;
  key(w, "actor");
  w.StartObject();
  key(w, "process");
  w.StartObject();
  if (e.pid) int_field(w, "pid", *e.pid);
  // The image's file name, as ps and most tools name a process; comm (15 bytes, settable by the
  // process) only when there is no image.
  string_field(w, "name", e.exe.empty() ? std::string_view(e.comm) : std::string_view(e.exe));
  string_field(w, "path", e.image_path);
  if (!e.exe.empty()) {
    key(w, "file");
    w.StartObject();
    string_field(w, "name", e.exe);
    string_field(w, "path", e.image_path);
    int_field(w, "type_id", 1);  // Regular File
    key(w, "type");
    w.String("Regular File");
    flag_field(w, "is_deleted", e.image_deleted);
    w.EndObject();
  }
  if (e.ppid) {
    key(w, "parent_process");
    w.StartObject();
    int_field(w, "pid", *e.ppid);
    w.EndObject();
  }
  if (e.container_pid) int_field(w, "namespace_pid", *e.container_pid);
  write_container(w, e);
  if (e.uid || !e.user.empty()) {
    key(w, "user");
    w.StartObject();
    if (e.uid) {
      key(w, "uid");  // a string in OCSF
      write_decimal_string(w, *e.uid);
    }
    string_field(w, "name", e.user);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

// device: the host procflow runs on. Replay events have none (the capture may come from anywhere).
void write_device(JsonTextWriter& w, const FlowEvent& e) {
  const IpAddress* ip = local_address(e);
  if (e.fqdn.empty() && e.hostname.empty() && !ip) return;
  key(w, "device");
  w.StartObject();
  string_field(w, "hostname", e.fqdn.empty() ? e.hostname : e.fqdn);
  string_field(w, "name", e.hostname);
  if (ip) ip_field(w, "ip", *ip);
  int_field(w, "type_id", 0);  // Unknown: procflow cannot tell a server from a laptop
  key(w, "type");
  w.String("Unknown");
  w.EndObject();
}

// Every CAR field without an OCSF attribute, under its CAR name.
void write_unmapped(JsonTextWriter& w, const FlowEvent& e, bool src_port_unplaced,
                    bool dest_port_unplaced) {
  key(w, "unmapped");
  w.StartObject();
  if (src_port_unplaced) int_field(w, "src_port", e.src_port);
  if (dest_port_unplaced) int_field(w, "dest_port", e.dest_port);
  string_field(w, "end_reason", to_string(e.end_reason));
  // Without a process there is no actor.process to hold the container.
  if (!has_process(e)) string_field(w, "container_id", e.container_id);
  string_field(w, "pod_uid", e.pod_uid);
  string_field(w, "pod_name", e.pod_name);
  string_field(w, "pod_namespace", e.pod_namespace);
  write_procflow_extras(w, e);
  w.EndObject();
}

}  // namespace

void append_ocsf_json_line(const FlowEvent& e, std::string& out) {
  OcsfState& st = state();
  st.buffer.Clear();
  JsonTextWriter& w = st.writer;
  w.Reset(st.buffer);
  const ActivityMapping a = activity(e);

  w.StartObject();
  int_field(w, "class_uid", class_uid);
  string_field(w, "class_name", "Network Activity");
  int_field(w, "category_uid", category_uid);
  string_field(w, "category_name", "Network Activity");
  int_field(w, "activity_id", a.id);
  string_field(w, "activity_name", a.name);
  int_field(w, "type_uid", class_uid * 100 + a.id);
  string_field(w, "type_name", a.type_name);
  int_field(w, "severity_id", 1);
  string_field(w, "severity", "Informational");
  if (a.status_id) {
    int_field(w, "status_id", a.status_id);
    string_field(w, "status", a.status_id == 1 ? "Success" : "Failure");
  }
  int_field(w, "time", static_cast<int64_t>(ms(e.timestamp_us)));
  if (e.start_time_us) int_field(w, "start_time", static_cast<int64_t>(ms(*e.start_time_us)));
  if (e.end_time_us) int_field(w, "end_time", static_cast<int64_t>(ms(*e.end_time_us)));
  if (e.start_time_us && e.end_time_us && *e.end_time_us >= *e.start_time_us)
    int_field(w, "duration", static_cast<int64_t>(ms(*e.end_time_us - *e.start_time_us)));

  key(w, "metadata");
  w.StartObject();
  string_field(w, "version", ocsf_schema_version);
  key(w, "product");
  w.StartObject();
  string_field(w, "name", "procflow");
  string_field(w, "vendor_name", "procflow");
  string_field(w, "version", PROCFLOW_VERSION);
  w.EndObject();
  const bool host_profile = has_process(e) || !e.hostname.empty() || !e.fqdn.empty();
  if (host_profile) {
    // actor and device come from the host profile.
    key(w, "profiles");
    w.StartArray();
    w.String("host");
    if (has_container_profile(e)) w.String("container");
    w.EndArray();
  }
  w.EndObject();

  const bool ports = transport_has_ports(e.transport);
  const bool src_local = e.initiated.has_value() && *e.initiated;
  const bool dest_local = e.initiated.has_value() && !*e.initiated;
  const Endpoint src = endpoint(e, true, src_local);
  const Endpoint dest = endpoint(e, false, dest_local);
  endpoint_field(w, "src_endpoint", src, ports);
  endpoint_field(w, "dst_endpoint", dest, ports);

  write_connection_info(w, e);
  string_field(w, "app_protocol_name", lowercase(e.application_protocol));
  write_traffic(w, e);
  write_actor(w, e);
  write_device(w, e);
  write_unmapped(w, e, ports && !src.writable() && e.src_port != 0,
                 ports && !dest.writable() && e.dest_port != 0);
  w.EndObject();

  out.append(st.buffer.GetString(), st.buffer.GetSize());
  out.push_back('\n');
}

}  // namespace procflow
